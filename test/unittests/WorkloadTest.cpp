//===- WorkloadTest.cpp - Workload specs, synthetic traces and files -------===//

#include "PerfTestUtil.h"

#include "moesaic/Workload/TraceFiles.h"
#include "moesaic/Workload/Workload.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

using namespace moesaic;
using namespace moesaic::testutil;

namespace {

template <typename T> std::string errorOf(llvm::Expected<T> v) {
  if (v)
    return "";
  return llvm::toString(v.takeError());
}

TEST(WorkloadSpec, ParsesEveryKey) {
  auto spec = parseWorkloadSpec("batch=8,trace=zipf:1.5,seed=3,steps=64,"
                                "locality=0.5,layer_corr=0.3,drift=0.05,"
                                "context=2048");
  ASSERT_TRUE(bool(spec)) << llvm::toString(spec.takeError());
  EXPECT_EQ(spec->batch, 8);
  EXPECT_EQ(spec->trace, "zipf");
  EXPECT_EQ(spec->skew, 1.5);
  EXPECT_EQ(spec->seed, 3u);
  EXPECT_EQ(spec->steps, 64);
  EXPECT_EQ(spec->locality, 0.5);
  EXPECT_EQ(spec->layerCorrelation, 0.3);
  EXPECT_EQ(spec->drift, 0.05);
  EXPECT_EQ(spec->context, 2048);
  // str() gives back an equivalent spec.
  auto again = parseWorkloadSpec(spec->str());
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(again->str(), spec->str());
  EXPECT_EQ(again->skew, 1.5);
  EXPECT_EQ(again->drift, 0.05);

  auto file = parseWorkloadSpec("trace=traces/run1.npy");
  ASSERT_TRUE(bool(file));
  EXPECT_EQ(file->trace, "file");
  EXPECT_EQ(file->path, "traces/run1.npy");
  auto zipf = parseWorkloadSpec("trace=zipf");
  ASSERT_TRUE(bool(zipf));
  EXPECT_EQ(zipf->skew, 1.2);
  auto empty = parseWorkloadSpec("");
  ASSERT_TRUE(bool(empty));
  EXPECT_EQ(empty->trace, "uniform");
  llvm::json::Object summary = workloadSummary(*spec);
  EXPECT_EQ(summary.getInteger("batch_tokens"), 8);
  EXPECT_EQ(summary.getString("trace"), "zipf:1.5");
  EXPECT_EQ(summary.getInteger("steps"), 64);
  EXPECT_EQ(summary.getInteger("seed"), 3);
  EXPECT_EQ(summary.getNumber("skew"), 1.5);
  EXPECT_EQ(workloadSummary(*file).getString("trace"), "traces/run1.npy");
}

TEST(WorkloadSpec, ErrorsNameTheKey) {
  struct Case {
    const char *spec, *expect;
  } cases[] = {
      {"batch=8,colour=red", "unknown key 'colour'"},
      {"batch=x", "'batch' expects an integer, got 'x'"},
      {"batch=0", "'batch' must be in [1, "},
      {"steps=99999999999", "'steps' must be in"},
      {"locality=1.5", "'locality' must be in [0, 1]"},
      {"layer_corr=-0.1", "'layer_corr' must be in"},
      {"drift=abc", "'drift' expects a number"},
      {"seed=-1", "'seed' expects a non-negative integer"},
      {"trace=gaussian", "'trace' expects uniform, zipf"},
      {"trace=zipf:x", "'trace=zipf:' expects a number"},
      {"batch", "'batch' has no value"},
      {"batch=", "'batch' has an empty value"},
      {"batch=8,,steps=2", "empty item"},
      {"batch=8,steps=2,batch=4", "'batch' is given twice"},
  };
  for (const Case &c : cases) {
    std::string err = errorOf(parseWorkloadSpec(c.spec));
    EXPECT_NE(err.find(c.expect), std::string::npos)
        << c.spec << " gave: " << err;
  }
}

GatingTrace mustTrace(const std::string &spec, const ModelDesc &model) {
  auto s = parseWorkloadSpec(spec);
  EXPECT_TRUE(bool(s)) << llvm::toString(s.takeError());
  auto t = makeTrace(*s, model);
  EXPECT_TRUE(bool(t)) << llvm::toString(t.takeError());
  return std::move(*t);
}


void expectValid(const GatingTrace &t) {
  for (int64_t s = 0; s < t.steps; ++s)
    for (size_t l = 0; l < t.topK.size(); ++l)
      for (int64_t tok = 0; tok < t.batch; ++tok) {
        const int32_t *e = t.experts(s, l, tok);
        std::set<int32_t> seen(e, e + t.topK[l]);
        ASSERT_EQ((int64_t)seen.size(), t.topK[l]) << "repeated expert";
        ASSERT_GE(*seen.begin(), 0);
        ASSERT_LT(*seen.rbegin(), t.numExperts[l]);
      }
}

TEST(SyntheticTrace, UniformIsValidAndSeeded) {
  ModelDesc m = tinyModel(8, 2, 3);
  GatingTrace a = mustTrace("batch=16,steps=10,seed=1", m);
  EXPECT_EQ(a.steps, 10);
  EXPECT_EQ(a.batch, 16);
  EXPECT_EQ(a.topK, (std::vector<int64_t>{2, 2, 2}));
  expectValid(a);
  EXPECT_TRUE(a.sameGating(mustTrace("batch=16,steps=10,seed=1", m)));
  EXPECT_FALSE(a.sameGating(mustTrace("batch=16,steps=10,seed=2", m)));
  // Uniform: every expert gets used over 160 tokens x 2 picks.
  std::vector<int32_t> total(8, 0);
  for (int64_t s = 0; s < a.steps; ++s) {
    std::vector<int32_t> load = a.expertLoad(s, 0);
    int64_t sum = 0;
    for (int e = 0; e < 8; ++e) {
      total[e] += load[e];
      sum += load[e];
    }
    EXPECT_EQ(sum, 32);
  }
  for (int e = 0; e < 8; ++e)
    EXPECT_GT(total[e], 20) << "expert " << e;
  // top-k = E: every token picks all experts (no infinite rejection loop).
  GatingTrace all = mustTrace("batch=4,steps=2,trace=zipf:8", tinyModel(4, 4));
  expectValid(all);
}

std::vector<int32_t> sortedLoad(const GatingTrace &t, size_t layer) {
  std::vector<int32_t> total(t.numExperts[layer], 0);
  for (int64_t s = 0; s < t.steps; ++s) {
    std::vector<int32_t> load = t.expertLoad(s, layer);
    for (size_t e = 0; e < load.size(); ++e)
      total[e] += load[e];
  }
  std::sort(total.rbegin(), total.rend());
  return total;
}

TEST(SyntheticTrace, ZipfSkewOrdersExperts) {
  ModelDesc m = tinyModel(16, 2, 1);
  GatingTrace z = mustTrace("batch=64,steps=200,trace=zipf:1.2,seed=5", m);
  expectValid(z);
  std::vector<int32_t> load = sortedLoad(z, 0);
  // Without replacement the top ranks are flattened a little, but with
  // 25600 picks the first ranks are strictly ordered and far from uniform
  // (1600 each).
  EXPECT_GT(load[0], load[1]);
  EXPECT_GT(load[1], load[2]);
  EXPECT_GT(load[2], load[3]);
  EXPECT_GT(load[0], 3 * 1600);
  EXPECT_LT(load[15], 1600 / 2);
  // More skew, more concentration.
  GatingTrace z2 = mustTrace("batch=64,steps=200,trace=zipf:2,seed=5", m);
  EXPECT_GT(sortedLoad(z2, 0)[0], load[0]);
  GatingTrace u = mustTrace("batch=64,steps=200,seed=5", m);
  EXPECT_LT(sortedLoad(u, 0)[0], 1600 * 1.2);
  EXPECT_TRUE(
      z.sameGating(mustTrace("batch=64,steps=200,trace=zipf:1.2,seed=5", m)));
  EXPECT_FALSE(
      z.sameGating(mustTrace("batch=64,steps=200,trace=zipf:1.2,seed=6", m)));
}

TEST(SyntheticTrace, LocalityKeepsPreviousExperts) {
  ModelDesc m = tinyModel(16, 2, 2);
  GatingTrace t = mustTrace("batch=8,steps=5,locality=1,trace=zipf", m);
  for (int64_t s = 1; s < t.steps; ++s)
    for (size_t l = 0; l < 2; ++l)
      for (int64_t tok = 0; tok < t.batch; ++tok)
        EXPECT_TRUE(std::equal(t.experts(s, l, tok), t.experts(s, l, tok) + 2,
                               t.experts(0, l, tok)));
  GatingTrace none = mustTrace("batch=8,steps=5,trace=zipf", m);
  int changed = 0;
  for (int64_t tok = 0; tok < none.batch; ++tok)
    changed += !std::equal(none.experts(1, 0, tok),
                           none.experts(1, 0, tok) + 2, none.experts(0, 0, tok));
  EXPECT_GT(changed, 0);
}

/// Whether layer 1's experts are a fixed function of layer 0's (position by
/// position), as when tokens reuse their ranks.
bool layersCorrelated(const GatingTrace &t) {
  std::map<int32_t, int32_t> map;
  for (int64_t s = 0; s < t.steps; ++s)
    for (int64_t tok = 0; tok < t.batch; ++tok)
      for (int64_t i = 0; i < t.topK[0]; ++i) {
        int32_t a = t.experts(s, 0, tok)[i], b = t.experts(s, 1, tok)[i];
        auto [it, fresh] = map.emplace(a, b);
        if (!fresh && it->second != b)
          return false;
      }
  return true;
}

TEST(SyntheticTrace, LayerCorrelationReusesRanks) {
  ModelDesc m = tinyModel(16, 2, 2);
  EXPECT_TRUE(layersCorrelated(
      mustTrace("batch=32,steps=4,layer_corr=1,trace=zipf", m)));
  EXPECT_FALSE(layersCorrelated(mustTrace("batch=32,steps=4,trace=zipf", m)));
}

int32_t topExpert(const GatingTrace &t, int64_t step) {
  std::vector<int32_t> load = t.expertLoad(step, 0);
  return std::max_element(load.begin(), load.end()) - load.begin();
}

TEST(SyntheticTrace, DriftRotatesPopularity) {
  ModelDesc m = tinyModel(8, 1, 1);
  // drift 1/8 with 8 experts: the popular expert moves one rank per step;
  // skew 4 makes rank 0 dominate (about 92 % of picks).
  GatingTrace d = mustTrace("batch=256,steps=8,trace=zipf:4,drift=0.125", m);
  std::set<int32_t> tops;
  for (int64_t s = 0; s < 8; ++s)
    tops.insert(topExpert(d, s));
  EXPECT_EQ(tops.size(), 8u);
  GatingTrace still = mustTrace("batch=256,steps=8,trace=zipf:4", m);
  for (int64_t s = 1; s < 8; ++s)
    EXPECT_EQ(topExpert(still, s), topExpert(still, 0));
}

// Every expert picked by every token (top-k = E), skewed so that the
// sampler must draw from what is left, on both sides of its exact scan's
// limit (4096 ranks; above it a Fenwick tree): each token still picks
// every expert once, with layer correlation too. Before, membership was a
// linear search and the draw from what is left a scan of E per pick: E =
// 65536 did not finish in minutes.
TEST(SyntheticTrace, TopKEqualToExpertsDrawsEveryExpertOnce) {
  for (int64_t e : {4096, 8192, 65536}) {
    ModelDesc m = tinyModel(e, e, 2);
    GatingTrace t = mustTrace("batch=2,steps=2,trace=zipf:1.5,layer_corr=0.5", m);
    expectValid(t);
    GatingTrace again =
        mustTrace("batch=2,steps=2,trace=zipf:1.5,layer_corr=0.5", m);
    EXPECT_TRUE(t.sameGating(again)) << e << " experts";
  }
}

TEST(SyntheticTrace, RefusesAbsurdSizesBeforeAllocating) {
  ModelDesc m = tinyModel(8, 2, 64);
  auto spec = parseWorkloadSpec("batch=1000000,steps=1000000");
  ASSERT_TRUE(bool(spec));
  std::string err = errorOf(makeTrace(*spec, m));
  EXPECT_NE(err.find("more than the"), std::string::npos) << err;
  ModelDesc none;
  none.name = "dense";
  EXPECT_NE(errorOf(makeTrace(WorkloadSpec(), none)).find("no MoE layer"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Files.
//===----------------------------------------------------------------------===//

class TraceFiles : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("moesaic-trace", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(const std::string &name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  std::string write(const std::string &name, llvm::StringRef content) {
    std::string p = path(name);
    std::error_code ec;
    llvm::raw_fd_ostream os(p, ec);
    EXPECT_FALSE(ec);
    os << content;
    return p;
  }
  llvm::Expected<GatingTrace> load(const std::string &p, const ModelDesc &m) {
    WorkloadSpec spec;
    spec.trace = "file";
    spec.path = p;
    return makeTrace(spec, m);
  }
  /// A hand-made .npy: header dict `dict`, int32 payload `values`.
  std::string npy(const std::string &name, const std::string &dict,
                  const std::vector<int32_t> &values, size_t elem = 4) {
    std::string header = dict;
    size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::string bytes = "\x93NUMPY";
    bytes += (char)1;
    bytes += (char)0;
    bytes += (char)(header.size() & 0xff);
    bytes += (char)(header.size() >> 8);
    bytes += header;
    for (int32_t v : values) {
      int64_t w = v;
      for (size_t b = 0; b < elem; ++b)
        bytes += (char)((uint64_t)w >> (8 * b) & 0xff);
    }
    return write(name, bytes);
  }
  llvm::SmallString<128> dir;
};

TEST_F(TraceFiles, HandWrittenFilesOfEachFormat) {
  ModelDesc m = tinyModel(4, 2, 2);
  // Step 0: layer 0 token 0 {1,3} token 1 {0,2}; layer 1 {2,1} {3,0}.
  std::string j = write("t.json", R"({"steps": [[[[1,3],[0,2]], [[2,1],[3,0]]]]})");
  // A schema and a note may label a JSON trace.
  std::string jn = write("tn.json", R"({"schema": "mine/1", "note": "hand",
      "steps": [[[[1,3],[0,2]], [[2,1],[3,0]]]]})");
  std::string c = write("t.csv", "step,layer,token,expert\n"
                                  "0,0,0,1\n0,0,0,3\n0,0,1,0\n0,0,1,2\n"
                                  "0,1,0,2\n0,1,0,1\n0,1,1,3\n0,1,1,0\n");
  // Rows in any order: a token's experts are its rows in file order.
  std::string cs = write("ts.csv", "0,1,1,3\n0,0,1,0\n0,1,0,2\n0,0,0,1\n"
                                   "0,1,1,0\n0,0,0,3\n0,1,0,1\n0,0,1,2\n");
  std::string n = npy("t.npy",
                      "{'descr': '<i4', 'fortran_order': False, "
                      "'shape': (1, 2, 2, 2), }",
                      {1, 3, 0, 2, 2, 1, 3, 0});
  std::string n8 = npy("t8.npy",
                       "{'descr': '<i8', 'fortran_order': False, "
                       "'shape': (1, 2, 2, 2), }",
                       {1, 3, 0, 2, 2, 1, 3, 0}, 8);
  GatingTrace ref;
  ref.resize(1, 2, {4, 4}, {2, 2});
  int32_t vals[8] = {1, 3, 0, 2, 2, 1, 3, 0};
  for (int i = 0; i < 8; ++i)
    ref.experts(0, i / 4, (i / 2) % 2)[i % 2] = vals[i];
  for (const std::string &p : {j, jn, c, cs, n, n8}) {
    auto t = load(p, m);
    ASSERT_TRUE(bool(t)) << p << ": " << llvm::toString(t.takeError());
    EXPECT_TRUE(t->sameGating(ref)) << p;
    EXPECT_NE(t->description.find(p), std::string::npos);
    WorkloadSpec spec; // steps and batch come from the file
    llvm::json::Object summary = workloadSummary(spec, *t);
    EXPECT_EQ(summary.getInteger("steps"), 1);
    EXPECT_EQ(summary.getInteger("batch_tokens"), 2);
  }
}

TEST_F(TraceFiles, FilesWrittenByNumpySave) {
  // Written by numpy 1.24 np.save from int32 and int64 arrays of
  // [[[[1,3],[0,2]],[[2,1],[3,0]]]].
  ModelDesc m = tinyModel(4, 2, 2);
  for (const char *name : {"numpy-trace-i4.npy", "numpy-trace-i8.npy"}) {
    std::string p =
        std::string(MOESAIC_SOURCE_DIR) + "/test/unittests/Inputs/" + name;
    auto t = load(p, m);
    ASSERT_TRUE(bool(t)) << name << ": " << llvm::toString(t.takeError());
    EXPECT_EQ(t->steps, 1);
    EXPECT_EQ(t->batch, 2);
    EXPECT_EQ(t->experts(0, 0, 0)[1], 3);
    EXPECT_EQ(t->experts(0, 0, 1)[0], 0);
    EXPECT_EQ(t->experts(0, 1, 1)[0], 3);
  }
}

TEST_F(TraceFiles, RoundTripEachFormat) {
  ModelDesc m = tinyModel(16, 2, 3);
  GatingTrace t = mustTrace("batch=5,steps=7,trace=zipf:1.1,seed=9", m);
  for (const char *name : {"r.json", "r.csv", "r.npy"}) {
    std::string p = path(name);
    ASSERT_FALSE(bool(writeTraceFile(t, p))) << name;
    auto back = load(p, m);
    ASSERT_TRUE(bool(back)) << name << ": " << llvm::toString(back.takeError());
    EXPECT_TRUE(back->sameGating(t)) << name;
  }
}

TEST_F(TraceFiles, ErrorsNameFileAndPosition) {
  ModelDesc m = tinyModel(4, 2, 2);
  struct Case {
    std::string file, content, expect;
  } cases[] = {
      {"range.json", R"({"steps": [[[[1,3],[0,9]], [[2,1],[3,0]]]]})",
       "expert 9 at step 0 layer 0 token 1 is out of range"},
      {"k.json", R"({"steps": [[[[1,3,2],[0,2]], [[2,1],[3,0]]]]})",
       "step 0 layer 0 token 0 picks 3 experts, the layer's top-k is 2"},
      {"layers.json", R"({"steps": [[[[1,3],[0,2]]]]})",
       "step 0 has 1 layers, the model has 2 MoE layers"},
      {"ragged.json", R"({"steps": [[[[1,3],[0,2]], [[2,1]]]]})",
       "step 0 layer 1 has 1 tokens, expected 2"},
      {"dup.json", R"({"steps": [[[[1,1],[0,2]], [[2,1],[3,0]]]]})",
       "expert 1 appears twice at step 0 layer 0 token 0"},
      {"shape.json", R"({"trace": []})", "expected an object with a \"steps\""},
      {"extra.json",
       R"({"steps": [[[[1,3],[0,2]], [[2,1],[3,0]]]], "stpes": 1})",
       "unknown key 'stpes' (expected steps, and optionally schema or note)"},
      {"syntax.json", R"({"steps": [)", "invalid JSON"},
      // 2^63 as a double (the trace fuzzer's first finding: LLVM converted
      // it to int64_t, undefined behaviour; x86 made it INT64_MIN).
      {"huge.json",
       R"({"steps": [[[[1,9223372036854775807.13],[0,2]], [[2,1],[3,0]]]]})",
       "step 0 layer 0 token 0 has a non-integer expert"},
      {"cols.csv", "0,0,0\n", "line 1: expected 4 columns"},
      {"neg.csv", "0,0,0,-1\n", "line 1: expert '-1' is not a non-negative"},
      {"range.csv", "step,layer,token,expert\n0,0,0,7\n",
       "expert 7 at line 2 is out of range"},
      {"layer.csv", "0,5,0,1\n", "line 1: layer 5 is out of range"},
      {"missing.csv", "0,0,0,1\n0,0,0,2\n0,1,0,1\n",
       "step 0 layer 1 token 0 has 1 experts, the layer's top-k is 2"},
      {"many.csv", "0,0,0,1\n0,0,0,2\n0,0,0,3\n",
       "line 3: step 0 layer 0 token 0 has more than top-k = 2"},
      {"twice.csv", "0,0,0,1\n0,0,0,1\n",
       "line 2: expert 1 appears twice at step 0 layer 0 token 0"},
      // The first problem in file order, whatever token it is at.
      {"first.csv", "0,1,0,1\n0,0,0,2\n0,1,0,2\n0,1,0,3\n0,0,0,2\n",
       "line 4: step 0 layer 1 token 0 has more than top-k = 2"},
      // A token with no row, before one with too few.
      {"gap.csv", "0,0,0,1\n0,0,0,2\n0,0,1,1\n0,1,0,1\n0,1,0,2\n",
       "step 0 layer 0 token 1 has 1 experts, the layer's top-k is 2"},
      {"hole.csv", "0,0,0,1\n0,0,0,2\n0,0,1,1\n0,0,1,2\n1,1,1,1\n1,1,1,2\n",
       "step 0 layer 1 token 0 has 0 experts, the layer's top-k is 2"},
      // One row naming a far step: refused without allocating the trace it
      // implies (docs/security.md, the trace fuzzer's first session).
      {"far.csv", "2000000,0,0,1\n",
       "step 0 layer 0 token 0 has 0 experts, the layer's top-k is 2"},
      {"empty.csv", "step,layer,token,expert\n", "holds no row"},
      {"bad.npy", "not numpy", "bad magic"},
      {"trace.txt", "", "unknown format"},
  };
  for (const Case &c : cases) {
    std::string p = write(c.file, c.content);
    std::string err = errorOf(load(p, m));
    EXPECT_NE(err.find("trace file '" + p + "'"), std::string::npos) << err;
    EXPECT_NE(err.find(c.expect), std::string::npos)
        << c.file << " gave: " << err;
  }
  EXPECT_NE(errorOf(load(path("absent.json"), m)).find("cannot be read"),
            std::string::npos);
}

TEST_F(TraceFiles, NpyRefusesWhatItDoesNotSupport) {
  ModelDesc m = tinyModel(4, 2, 2);
  std::vector<int32_t> ok = {1, 3, 0, 2, 2, 1, 3, 0};
  struct Case {
    std::string dict;
    std::vector<int32_t> values;
    std::string expect;
  } cases[] = {
      {"{'descr': '>i4', 'fortran_order': False, 'shape': (1, 2, 2, 2), }", ok,
       "dtype '>i4' is not supported"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2, 2), }", ok,
       "dtype '<f4' is not supported"},
      {"{'descr': '<i4', 'fortran_order': True, 'shape': (1, 2, 2, 2), }", ok,
       "Fortran-order"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2, 2), }", ok,
       "must have 4 dimensions"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (1, 3, 2, 2), }", ok,
       "has 3 layers, the model has 2"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2, 1, 4), }", ok,
       "has top_k 4, MoE layer 0 has top-k 2"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2, 2, 2), }",
       {1, 3, 0}, "payload has 12 bytes, the shape needs 32"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2, 2, 2), }",
       {1, 3, 0, 2, 2, 1, 3, 4}, "expert 4 at step 0 layer 1 token 1"},
      {"{'descr': '<i4', 'fortran_order': False, "
       "'shape': (1000000, 2, 1000000, 2), }",
       ok, "more than the"},
      {"{'descr': '<i4', 'shape': (1, 2, 2, 2), }", ok,
       "lacks descr, fortran_order or shape"},
  };
  int i = 0;
  for (const Case &c : cases) {
    std::string p = npy("c" + std::to_string(i++) + ".npy", c.dict, c.values);
    std::string err = errorOf(load(p, m));
    EXPECT_NE(err.find(c.expect), std::string::npos)
        << c.dict << " gave: " << err;
  }
}

} // namespace
