//===- DataflowTest.cpp - when/where program vs the direct scheduler ------===//
//
// The df.program of an fse-dp layer (moe-df-lower-fsedp), exported to JSON
// and run by the dataflow interpreter, decides every random batch exactly as
// fsedp::TrajectoryScheduler does: same active experts in the same order,
// same holders and token counts, same arcs and ticks; every holder's
// `ready` node fires, no other does. Also: the JSON loader rejects
// malformed programs, and the program reaches the schedule JSON.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Df/DfOps.h"
#include "moesaic/Dialect/Hw/HwScheduleExport.h"
#include "moesaic/InitAll.h"
#include "moesaic/Runtime/Dataflow/FseDpInterpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <map>
#include <random>

using namespace moesaic;
using namespace moesaic::dataflow;

namespace {

/// The JSON form of the fse-dp program for (N, E, S), through MLIR.
llvm::json::Object programJson(mlir::MLIRContext &ctx, int64_t n, int64_t e,
                               int64_t s) {
  ctx.loadDialect<df::DfDialect>();
  mlir::OpBuilder b(&ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToEnd(module->getBody());
  df::ProgramOp program =
      df::buildFseDpProgram(b, b.getUnknownLoc(), 0, n, e, s);
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*module)));
  // Through text, as a controller would receive it.
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(df::programToJson(program));
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  EXPECT_TRUE((bool)parsed);
  return std::move(*parsed->getAsObject());
}

void expectSame(const fsedp::Decision &want, const fsedp::Decision &got,
                const std::string &where) {
  ASSERT_EQ(want.experts.size(), got.experts.size()) << where;
  for (size_t i = 0; i < want.experts.size(); ++i) {
    const fsedp::ExpertDecision &a = want.experts[i], &b = got.experts[i];
    EXPECT_EQ(a.expert, b.expert) << where << " position " << i;
    EXPECT_EQ(a.holders, b.holders) << where << " expert " << a.expert;
    EXPECT_EQ(a.tokens, b.tokens) << where << " expert " << a.expert;
    EXPECT_EQ(a.arcStart, b.arcStart) << where;
    EXPECT_EQ(a.arcLen, b.arcLen) << where << " expert " << a.expert;
    EXPECT_EQ(a.cwGap, b.cwGap) << where;
    EXPECT_EQ(a.ccwGap, b.ccwGap) << where;
    EXPECT_EQ(a.startTick, b.startTick) << where;
    EXPECT_EQ(a.endTick, b.endTick) << where;
  }
  EXPECT_EQ(want.makespanTicks, got.makespanTicks) << where;
}

struct Case {
  unsigned n, experts, chunks, topK, maxTokens;
};

TEST(Dataflow, InterpreterAgreesWithSchedulerOnRandomGatings) {
  mlir::MLIRContext ctx;
  std::mt19937 rng(20261123);
  const Case cases[] = {{1, 4, 1, 2, 4},   {2, 8, 3, 2, 6},
                        {4, 8, 127, 2, 8}, {5, 16, 2, 4, 12},
                        {8, 64, 4, 8, 16}, {16, 32, 1, 2, 40},
                        {32, 8, 2, 1, 64}, {64, 16, 1, 2, 128}};
  unsigned decisions = 0, readyFirings = 0, variedArcs = 0, splitDecisions = 0;
  for (const Case &c : cases)
  for (bool splitHolders : {false, true}) {
    fsedp::SchedulerConfig cfg;
    cfg.splitHolders = splitHolders; // rule V6, replicated tokens only
    cfg.numChiplets = c.n;
    cfg.numExperts = c.experts;
    cfg.chunksPerShard = c.chunks;
    cfg.computeTicksPerTokenChunk = 3;
    cfg.dramTicksPerChunk = 10 + c.n;
    llvm::Expected<Program> prog =
        programFromJson(programJson(ctx, c.n, c.experts, c.chunks));
    ASSERT_TRUE((bool)prog) << llvm::toString(prog.takeError());
    auto interp = FseDpInterpreter::create(std::move(*prog), cfg);
    ASSERT_TRUE((bool)interp) << llvm::toString(interp.takeError());
    fsedp::TrajectoryScheduler direct(cfg);
    for (unsigned trial = 0; trial < 60; ++trial) {
      unsigned tokens = 1 + rng() % c.maxTokens;
      std::vector<uint16_t> pos(tokens);
      std::vector<int32_t> experts((size_t)tokens * c.topK);
      // Skewed gatings too: a few hot experts, clustered positions.
      bool skew = trial % 2;
      for (unsigned t = 0; t < tokens; ++t) {
        pos[t] = skew ? (rng() % std::max(1u, c.n / 3)) : rng() % c.n;
        for (unsigned j = 0; j < c.topK; ++j) {
          int32_t e = skew ? (int32_t)(rng() % std::min(3u, c.experts))
                           : (int32_t)(rng() % c.experts);
          experts[(size_t)t * c.topK + j] = rng() % 11 == 0 ? -1 : e;
        }
      }
      std::string where = "N=" + std::to_string(c.n) + " E=" +
                          std::to_string(c.experts) + " trial " +
                          std::to_string(trial) +
                          (splitHolders ? " split" : "");
      // Tokens on their chiplets, then replicated on every chiplet (rule
      // V4, tokenPos null: the scheduler picks one holder per expert).
      for (bool replicated : {false, true}) {
        const uint16_t *at = replicated ? nullptr : pos.data();
        std::string w = where + (replicated ? " replicated" : "");
        const fsedp::Decision &want =
            direct.decide(tokens, at, experts.data(), c.topK);
        const fsedp::Decision &got =
            (*interp)->decide(tokens, at, experts.data(), c.topK);
        expectSame(want, got, w);
        // Exactly the holders' ready nodes fired (split holders, which
        // receive one segment's shards, fire none), with the scheduler's
        // per-holder token counts.
        size_t holderCount = 0;
        bool split = false;
        for (const fsedp::ExpertDecision &d : want.experts) {
          EXPECT_EQ(d.split, got.experts[&d - want.experts.data()].split)
              << w;
          split |= d.split > 1;
          if (d.split == 1)
            holderCount += __builtin_popcountll(d.holders);
          for (unsigned p = 0; p < c.n; ++p)
            EXPECT_EQ((*interp)->tokensAt(d.expert, p), direct.tokensAt(d, p))
                << w << " expert " << d.expert << " chiplet " << p;
        }
        EXPECT_EQ((*interp)->readyPairs().size(), holderCount) << w;
        readyFirings += (*interp)->readyPairs().size();
        splitDecisions += split;
        ++decisions;
        if (!want.experts.empty() && want.experts.size() > 1) {
          for (size_t i = 1; i < want.experts.size(); ++i)
            if (want.experts[i].cwGap != want.experts[i - 1].cwGap ||
                want.experts[i].arcStart != want.experts[i - 1].arcStart)
              ++variedArcs;
        }
      }
    }
  }
  EXPECT_EQ(decisions, 2u * 2u * 8u * 60u);
  // Rule V6 split experts in some replicated decisions (not all: its
  // factor is 1 where one holder's links keep up with the DRAM).
  EXPECT_GT(splitDecisions, 50u);
  EXPECT_LT(splitDecisions, 8u * 60u);
  EXPECT_GT(readyFirings, decisions);
  // The gatings exercise different arcs and directions, not one shape.
  EXPECT_GT(variedArcs, 100u);
}

TEST(Dataflow, InterpreterRefusesProgramsMissingItsPorts) {
  mlir::MLIRContext ctx;
  fsedp::SchedulerConfig cfg;
  cfg.numChiplets = 4;
  cfg.numExperts = 3;
  cfg.chunksPerShard = 2;
  std::string text;
  llvm::raw_string_ostream(text) << llvm::json::Value(programJson(ctx, 4, 3, 2));
  auto refusal = [&](const std::string &from, const std::string &to) {
    std::string edited = text;
    size_t at = edited.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    edited.replace(at, from.size(), to);
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(edited);
    EXPECT_TRUE((bool)v);
    llvm::Expected<Program> prog = programFromJson(*v->getAsObject());
    EXPECT_TRUE((bool)prog) << llvm::toString(prog.takeError());
    auto interp = FseDpInterpreter::create(std::move(*prog), cfg);
    return interp ? std::string() : llvm::toString(interp.takeError());
  };
  EXPECT_NE(refusal("\"port\":\"links\"", "\"port\":\"linkz\"")
                .find("needs the output 'links'"),
            std::string::npos);
  EXPECT_NE(refusal("\"port\":\"active.replicated\"", "\"port\":\"x\"")
                .find("'tokens.replicated'"),
            std::string::npos);
  EXPECT_NE(refusal("\"control\":\"links\"", "\"control\":\"trajectory\"")
                .find("missing links where"),
            std::string::npos);
  // Unedited, it loads.
  EXPECT_EQ(refusal("\"name\":", "\"name\":"), "");
}

TEST(Dataflow, WhenAndStaticWhereSemantics) {
  // a -> where [[1,1],[0,1]] from (a, b); when(out0, out1) threshold 3.
  const char *text = R"({"name": "t", "params": {}, "nodes": [
    {"op": "input", "port": "a", "at": []},
    {"op": "input", "port": "b", "at": []},
    {"op": "where", "inputs": [[0, 0], [1, 0]], "outputs": 2,
     "adjacency": [[1, 1], [0, 1]], "at": []},
    {"op": "when", "inputs": [[2, 0], [2, 1]], "threshold": 3,
     "reset": "on_fire", "at": []},
    {"op": "output", "port": "o", "inputs": [[3, 0]]}]})";
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
  ASSERT_TRUE((bool)v);
  llvm::Expected<Program> p = programFromJson(*v->getAsObject());
  ASSERT_TRUE((bool)p) << llvm::toString(p.takeError());
  Executor x(*p);
  x.push(p->valueBase[0], 0); // a: out0 only -> state 1
  EXPECT_EQ(x.fired(4).size(), 0u);
  x.push(p->valueBase[1], 0); // b: out0 and out1 -> state 3, fires
  EXPECT_EQ(x.fired(4).size(), 1u);
  x.push(p->valueBase[1], 0); // state 2
  EXPECT_EQ(x.fired(4).size(), 1u);
  x.push(p->valueBase[0], 0); // state 3: fires again (on_fire)
  EXPECT_EQ(x.fired(4).size(), 2u);
  EXPECT_EQ(x.count(p->valueBase[2] + 1), 2u);
  // reset() forgets everything the run touched.
  x.reset();
  EXPECT_EQ(x.fired(4).size(), 0u);
  EXPECT_EQ(x.count(p->valueBase[2]), 0u);
  x.push(p->valueBase[1], 0);
  EXPECT_EQ(x.count(p->valueBase[3]), 0u); // state restarted at 0: 2 < 3
}

TEST(Dataflow, CountedPacketsEqualSinglePushes) {
  // a -> when threshold 3 on_fire -> when threshold 2 none; a and the
  // first when both feed output o.
  const char *text = R"({"name": "k", "params": {}, "nodes": [
    {"op": "input", "port": "a", "at": []},
    {"op": "when", "inputs": [[0, 0]], "threshold": 3, "reset": "on_fire"},
    {"op": "when", "inputs": [[1, 0]], "threshold": 2, "reset": "none"},
    {"op": "output", "port": "o", "inputs": [[1, 0], [2, 0]]}]})";
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
  ASSERT_TRUE((bool)v);
  llvm::Expected<Program> p = programFromJson(*v->getAsObject());
  ASSERT_TRUE((bool)p) << llvm::toString(p.takeError());
  Executor single(*p), packet(*p);
  for (uint32_t burst : {1u, 2u, 5u, 7u, 0u, 4u}) {
    for (uint32_t i = 0; i < burst; ++i)
      single.push(p->valueBase[0], 9);
    packet.push(p->valueBase[0], 9, burst);
    for (uint32_t value = 0; value < p->numValues; ++value)
      EXPECT_EQ(single.count(value), packet.count(value))
          << "value " << value << " after a burst of " << burst;
    EXPECT_EQ(single.fired(3), packet.fired(3)) << "burst " << burst;
  }
  // 19 tokens: 6 firings of the first when, the second fires once.
  EXPECT_EQ(packet.count(p->valueBase[1]), 6u);
  EXPECT_EQ(packet.count(p->valueBase[2]), 1u);
}

TEST(Dataflow, LoaderRejectsMalformedPrograms) {
  auto load = [](const char *text) -> std::string {
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
    if (!v)
      return "bad json";
    llvm::Expected<Program> p = programFromJson(*v->getAsObject());
    return p ? "" : llvm::toString(p.takeError());
  };
  EXPECT_NE(load(R"({"name":"c","nodes":[{"op":"when","inputs":[[0,0]],"threshold":1,"reset":"none"}]})")
                .find("does not come from an earlier node"),
            std::string::npos);
  EXPECT_NE(load(R"({"name":"d","nodes":[{"op":"input","port":"a"},{"op":"input","port":"b"},{"op":"output","port":"o","inputs":[[1,0]]}]})")
                .find("dangling stream"),
            std::string::npos);
  EXPECT_NE(load(R"({"name":"t","nodes":[{"op":"input","port":"a"},{"op":"when","inputs":[[0,0]],"threshold":0,"reset":"none"},{"op":"output","port":"o","inputs":[[1,0]]}]})")
                .find("threshold must be positive"),
            std::string::npos);
  EXPECT_NE(load(R"({"name":"w","nodes":[{"op":"input","port":"a"},{"op":"where","inputs":[[0,0]],"outputs":2,"adjacency":[[1]]},{"op":"output","port":"o","inputs":[[1,0],[1,1]]}]})")
                .find("one row per output"),
            std::string::npos);
}

/// The schedule JSON of an input under test/Dataflow/Inputs after the fse-dp
/// passes up to moe-df-lower-fsedp (failure: no schedule).
mlir::FailureOr<llvm::json::Object> lowerFseDpAndExport(const char *input) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  registerAllPasses();
  mlir::MLIRContext ctx(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(
          std::string(MOESAIC_SOURCE_DIR "/test/Dataflow/Inputs/") + input,
          &ctx);
  mlir::PassManager pm(&ctx);
  if (!module ||
      mlir::failed(mlir::parsePassPipeline(
          "moe-fsedp-virtualize,moe-fsedp-shard-experts,moe-df-lower-fsedp",
          pm)) ||
      mlir::failed(pm.run(*module)))
    return mlir::failure();
  hw::ScheduleOp schedule = hw::findSchedule(*module, "fse-dp");
  if (!schedule)
    return mlir::failure();
  return hw::exportSchedule(schedule);
}

TEST(Dataflow, ProgramReachesTheScheduleJson) {
  mlir::FailureOr<llvm::json::Object> json =
      lowerFseDpAndExport("ring4-two-experts.mlir");
  ASSERT_TRUE(mlir::succeeded(json));
  const llvm::json::Object *dataflow = nullptr;
  for (const llvm::json::Value &layer : *json->getArray("layers"))
    if (layer.getAsObject()->getInteger("index") == 0)
      dataflow = layer.getAsObject()->getObject("dataflow");
  ASSERT_TRUE(dataflow) << llvm::formatv("{0:2}", llvm::json::Value(std::move(*json))).str();
  llvm::Expected<Program> prog = programFromJson(*dataflow);
  ASSERT_TRUE((bool)prog) << llvm::toString(prog.takeError());
  EXPECT_EQ(prog->param("chunks"), 127);
  fsedp::SchedulerConfig cfg;
  cfg.numChiplets = 4;
  cfg.numExperts = 2;
  cfg.chunksPerShard = 127;
  auto interp = FseDpInterpreter::create(std::move(*prog), cfg);
  ASSERT_TRUE((bool)interp) << llvm::toString(interp.takeError());
  const uint16_t pos[] = {0, 2, 3};
  const int32_t experts[] = {1, 1, 0};
  const fsedp::Decision &d = (*interp)->decide(3, pos, experts, 1);
  ASSERT_EQ(d.experts.size(), 2u);
  EXPECT_EQ(d.experts[0].expert, 1u); // holders {0, 2}: the longer stream
  EXPECT_EQ(d.experts[0].holders, 0b0101u);
  EXPECT_EQ(d.experts[1].holders, 0b1000u);
  // A layer of a different size is refused, naming the mismatch.
  cfg.chunksPerShard = 4;
  auto wrong = FseDpInterpreter::create(*programFromJson(*dataflow), cfg);
  ASSERT_FALSE((bool)wrong);
  EXPECT_NE(llvm::toString(wrong.takeError()).find("do not match"),
            std::string::npos);
}

TEST(Dataflow, EqualProgramsAreWrittenOnceAndLoadedPerLayer) {
  mlir::FailureOr<llvm::json::Object> json =
      lowerFseDpAndExport("ring4-three-layers.mlir");
  ASSERT_TRUE(mlir::succeeded(json));
  std::map<int64_t, const llvm::json::Object *> byLayer;
  for (const llvm::json::Value &layer : *json->getArray("layers"))
    if (const llvm::json::Object *df = layer.getAsObject()->getObject("dataflow"))
      byLayer[*layer.getAsObject()->getInteger("index")] = df;
  ASSERT_EQ(byLayer.size(), 3u);
  // Layer 1 equals layer 0 but for its name: a reference. Layer 2 (4
  // experts) holds its own nodes.
  EXPECT_TRUE(byLayer[0]->getArray("nodes"));
  EXPECT_EQ(*byLayer[1], (llvm::json::Object{{"name", "fsedp.layer1"},
                                             {"same_as_layer", 0}}));
  EXPECT_TRUE(byLayer[2]->getArray("nodes"));

  SchedulePrograms programs(*json);
  llvm::Expected<Program> p0 = programs.load(0), p1 = programs.load(1),
                          p2 = programs.load(2);
  ASSERT_TRUE(p0 && p1 && p2);
  EXPECT_EQ(p1->name, "fsedp.layer1");
  EXPECT_EQ(programs.name(1), "fsedp.layer1");
  ASSERT_EQ(p1->nodes.size(), p0->nodes.size());
  for (size_t i = 0; i < p0->nodes.size(); ++i)
    EXPECT_EQ(p1->nodes[i].inputs, p0->nodes[i].inputs) << i;
  EXPECT_EQ(p1->params, p0->params);
  EXPECT_NE(p2->nodes.size(), p0->nodes.size());

  // A reference must name a layer holding nodes of its own.
  auto loadError = [](const char *text, int64_t layer) {
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
    EXPECT_TRUE((bool)v);
    SchedulePrograms programs(*v->getAsObject());
    llvm::Expected<Program> p = programs.load(layer);
    return p ? std::string() : llvm::toString(p.takeError());
  };
  EXPECT_NE(loadError(R"({"layers":[{"index":1,"dataflow":{"name":"b","same_as_layer":0}}]})", 1)
                .find("names a layer without a program of its own"),
            std::string::npos);
  EXPECT_NE(loadError(R"({"layers":[{"index":0,"dataflow":{"name":"a","same_as_layer":1}},{"index":1,"dataflow":{"name":"b","same_as_layer":0}}]})", 1)
                .find("program 'b' of layer 1"),
            std::string::npos);
  EXPECT_NE(loadError(R"({"layers":[]})", 3).find("layer 3 has no"),
            std::string::npos);
}

TEST(Dataflow, ExporterWritesEqualProgramsOnce) {
  // Programs other passes build per layer (ndp-tp, the wafer's triggers)
  // are compared at export: equal parameters and body -> a reference.
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext ctx(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(
          MOESAIC_SOURCE_DIR "/test/Dataflow/Inputs/equal-programs.mlir", &ctx);
  ASSERT_TRUE(module);
  mlir::FailureOr<llvm::json::Object> json =
      hw::exportSchedule(hw::findSchedule(*module, "x"));
  ASSERT_TRUE(mlir::succeeded(json));
  std::map<int64_t, const llvm::json::Object *> byLayer;
  for (const llvm::json::Value &layer : *json->getArray("layers"))
    byLayer[*layer.getAsObject()->getInteger("index")] =
        layer.getAsObject()->getObject("dataflow");
  ASSERT_EQ(byLayer.size(), 4u);
  EXPECT_TRUE(byLayer[0]->getArray("nodes"));
  EXPECT_EQ(*byLayer[1],
            (llvm::json::Object{{"name", "b"}, {"same_as_layer", 0}}));
  EXPECT_TRUE(byLayer[2]->getArray("nodes")); // another threshold
  EXPECT_TRUE(byLayer[3]->getArray("nodes")); // another parameter
  SchedulePrograms programs(*json);
  llvm::Expected<Program> b = programs.load(1);
  ASSERT_TRUE((bool)b) << llvm::toString(b.takeError());
  EXPECT_EQ(b->name, "b");
  EXPECT_EQ(b->param("k"), 1);
}

} // namespace
