//===- TraceFile.cpp - Gating traces from JSON, CSV and NumPy files --------===//
//
// Layer indices in files count MoE layers (ModelDesc::moeLayers order), not
// transformer layers. Every problem is reported as one error naming the file
// and the position (step/layer/token, line, or header field).
//
//===----------------------------------------------------------------------===//

#include "TraceInternal.h"
#include "moesaic/Support/InputChecks.h"
#include "moesaic/Support/JsonIntegers.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <tuple>

using namespace moesaic;
using namespace moesaic::workload;
using llvm::StringRef;
namespace json = llvm::json;

namespace {

class FileError {
public:
  explicit FileError(StringRef path) : path(path.str()) {}
  llvm::Error operator()(const llvm::Twine &msg) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "trace file '" + path + "': " + msg.str());
  }
  std::string path;
};

struct ModelShape {
  std::vector<int64_t> numExperts, topK;
};

ModelShape shapeOf(const ModelDesc &model) {
  ModelShape s;
  for (const MoeLayerDesc &l : model.moeLayers) {
    s.numExperts.push_back(l.numExperts);
    s.topK.push_back(l.topK);
  }
  return s;
}

std::string pos(int64_t s, int64_t l, int64_t t) {
  return "step " + std::to_string(s) + " layer " + std::to_string(l) +
         " token " + std::to_string(t);
}

llvm::Error checkExpert(const FileError &err, int64_t expert,
                        int64_t numExperts, const std::string &where) {
  if (expert < 0 || expert >= numExperts)
    return err("expert " + llvm::Twine(expert) + " at " + where +
               " is out of range (the layer has " + llvm::Twine(numExperts) +
               " experts)");
  return llvm::Error::success();
}

/// Distinct experts per token (a router's top-k never repeats one).
llvm::Error checkDistinct(const FileError &err, const int32_t *e, int64_t k,
                          const std::string &where) {
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < i; ++j)
      if (e[i] == e[j])
        return err("expert " + llvm::Twine(e[i]) + " appears twice at " +
                   where);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// JSON: {"steps": [ step: [ layer: [ token: [expert, ...] ] ] ]}
//===----------------------------------------------------------------------===//

llvm::Expected<GatingTrace> readJSON(const FileError &err, StringRef text,
                                     const ModelShape &shape) {
  if (std::optional<std::string> deep = jsonNestingProblem(text))
    return err("not a trace: " + *deep);
  llvm::Expected<json::Value> root = json::parse(text);
  if (!root)
    return err("invalid JSON: " + llvm::toString(root.takeError()));
  if (std::optional<std::string> dup = jsonDuplicateKey(text))
    return err(*dup + ": a key may appear once per object");
  const json::Object *obj = root->getAsObject();
  const json::Array *steps = obj ? obj->getArray("steps") : nullptr;
  if (!steps)
    return err("expected an object with a \"steps\" array");
  // As hardware files: a misspelt or foreign key is refused, not ignored
  // ("schema" and "note" may label a file).
  for (const auto &kv : *obj)
    if (kv.first != "steps" && kv.first != "schema" && kv.first != "note")
      return err("unknown key '" + kv.first.str() +
                 "' (expected steps, and optionally schema or note)");
  size_t numLayers = shape.topK.size();
  int64_t batch = -1;
  for (size_t s = 0; s < steps->size(); ++s) {
    const json::Array *layers = (*steps)[s].getAsArray();
    if (!layers)
      return err("step " + llvm::Twine(s) + " is not an array of layers");
    if (layers->size() != numLayers)
      return err("step " + llvm::Twine(s) + " has " +
                 llvm::Twine(layers->size()) + " layers, the model has " +
                 llvm::Twine(numLayers) + " MoE layers");
    for (size_t l = 0; l < numLayers; ++l) {
      const json::Array *tokens = (*layers)[l].getAsArray();
      if (!tokens)
        return err("step " + llvm::Twine(s) + " layer " + llvm::Twine(l) +
                   " is not an array of tokens");
      if (batch < 0)
        batch = tokens->size();
      if ((int64_t)tokens->size() != batch)
        return err("step " + llvm::Twine(s) + " layer " + llvm::Twine(l) +
                   " has " + llvm::Twine(tokens->size()) +
                   " tokens, expected " + llvm::Twine(batch));
    }
  }
  if (steps->empty() || batch <= 0)
    return err("holds no step or no token");
  if (auto e = checkTraceSize("trace file '" + err.path + "'", steps->size(),
                              batch, shape.topK))
    return std::move(e);
  GatingTrace trace;
  trace.resize(steps->size(), batch, shape.numExperts, shape.topK);
  for (size_t s = 0; s < steps->size(); ++s) {
    const json::Array &layers = *(*steps)[s].getAsArray();
    for (size_t l = 0; l < numLayers; ++l) {
      const json::Array &tokens = *layers[l].getAsArray();
      for (int64_t t = 0; t < batch; ++t) {
        std::string where = pos(s, l, t);
        const json::Array *experts = tokens[t].getAsArray();
        if (!experts)
          return err(where + " is not an array of experts");
        if ((int64_t)experts->size() != shape.topK[l])
          return err(where + " picks " + llvm::Twine(experts->size()) +
                     " experts, the layer's top-k is " +
                     llvm::Twine(shape.topK[l]));
        int32_t *out = trace.experts(s, l, t);
        for (int64_t i = 0; i < shape.topK[l]; ++i) {
          std::optional<int64_t> e = jsonInteger((*experts)[i]);
          if (!e)
            return err(where + " has a non-integer expert");
          if (auto x = checkExpert(err, *e, shape.numExperts[l], where))
            return std::move(x);
          out[i] = (int32_t)*e;
        }
        if (auto x = checkDistinct(err, out, shape.topK[l], where))
          return std::move(x);
      }
    }
  }
  return trace;
}

//===----------------------------------------------------------------------===//
// CSV: rows step,layer,token,expert (optional header line); a token's
// experts are its rows in file order.
//===----------------------------------------------------------------------===//

llvm::Expected<GatingTrace> readCSV(const FileError &err, StringRef text,
                                    const ModelShape &shape) {
  struct Row {
    int64_t s, l, t, e;
    size_t line;
  };
  std::vector<Row> rows;
  int64_t maxStep = -1, maxToken = -1;
  size_t lineNo = 0;
  int64_t numLayers = shape.topK.size();
  while (!text.empty()) {
    auto [line, rest] = text.split('\n');
    text = rest;
    ++lineNo;
    line = line.trim();
    if (line.empty() || line.starts_with("#"))
      continue;
    llvm::SmallVector<StringRef, 4> cols;
    line.split(cols, ',');
    if (lineNo == 1 && !cols.empty() && cols[0].trim() == "step") {
      if (cols.size() != 4 || cols[1].trim() != "layer" ||
          cols[2].trim() != "token" || cols[3].trim() != "expert")
        return err("line 1: header must be step,layer,token,expert");
      continue;
    }
    if (cols.size() != 4)
      return err("line " + llvm::Twine(lineNo) + ": expected 4 columns "
                 "step,layer,token,expert, got " + llvm::Twine(cols.size()));
    int64_t v[4];
    static const char *names[4] = {"step", "layer", "token", "expert"};
    for (int i = 0; i < 4; ++i)
      if (cols[i].trim().getAsInteger(10, v[i]) || v[i] < 0)
        return err("line " + llvm::Twine(lineNo) + ": " + names[i] +
                   " '" + cols[i].trim() + "' is not a non-negative integer");
    if (v[1] >= numLayers)
      return err("line " + llvm::Twine(lineNo) + ": layer " +
                 llvm::Twine(v[1]) + " is out of range (the model has " +
                 llvm::Twine(numLayers) + " MoE layers)");
    if (auto x = checkExpert(err, v[3], shape.numExperts[v[1]],
                             "line " + std::to_string(lineNo)))
      return std::move(x);
    if (v[0] >= kMaxTraceEntries || v[2] >= kMaxTraceEntries)
      return err("line " + llvm::Twine(lineNo) + ": step or token index is "
                 "absurdly large");
    maxStep = std::max(maxStep, v[0]);
    maxToken = std::max(maxToken, v[2]);
    rows.push_back({v[0], v[1], v[2], v[3], lineNo});
  }
  if (rows.empty())
    return err("holds no row");
  int64_t steps = maxStep + 1, batch = maxToken + 1;
  if (auto e = checkTraceSize("trace file '" + err.path + "'", steps, batch,
                              shape.topK))
    return std::move(e);
  // Checked on the rows grouped by (step, layer, token), file order kept
  // within a group, before anything of the trace's size is allocated: a
  // short file naming a large step or token is refused in proportion to
  // its own size (the largest index alone once made it allocate the whole
  // trace, 768 MB for one row). The first problem in file order is
  // reported, as reading row by row would.
  std::vector<uint32_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0u);
  auto key = [&](const Row &r) { return std::make_tuple(r.s, r.l, r.t); };
  // Ties in file order (the index; std::stable_sort's buffer draws a
  // deprecation warning from clang with libstdc++ 12).
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return std::make_tuple(rows[a].s, rows[a].l, rows[a].t, a) <
           std::make_tuple(rows[b].s, rows[b].l, rows[b].t, b);
  });
  // Where each (step, layer, token)'s rows start in `order`, and the end.
  std::vector<size_t> group;
  for (size_t i = 0; i < order.size(); ++i)
    if (i == 0 || key(rows[order[i]]) != key(rows[order[i - 1]]))
      group.push_back(i);
  group.push_back(order.size());
  auto rowAt = [&](size_t i) -> const Row & { return rows[order[i]]; };
  // Too many experts for a token, or one twice: the earliest such line.
  const Row *bad = nullptr;
  bool overflow = false;
  for (size_t g = 0; g + 1 < group.size(); ++g) {
    size_t first = group[g], count = group[g + 1] - first;
    int64_t k = shape.topK[rowAt(first).l];
    for (size_t n = 0; n < count; ++n) {
      const Row &r = rowAt(first + n);
      bool over = (int64_t)n >= k;
      bool twice = false;
      for (size_t i = 0; !over && i < n; ++i)
        twice |= rowAt(first + i).e == r.e;
      if (over || twice) {
        if (!bad || r.line < bad->line)
          bad = &r, overflow = over;
        break;
      }
    }
  }
  if (bad && overflow)
    return err("line " + llvm::Twine(bad->line) + ": " +
               pos(bad->s, bad->l, bad->t) + " has more than top-k = " +
               llvm::Twine(shape.topK[bad->l]) + " experts");
  if (bad)
    return err("line " + llvm::Twine(bad->line) + ": expert " +
               llvm::Twine(bad->e) + " appears twice at " +
               pos(bad->s, bad->l, bad->t));
  // Every (step, layer, token) in order needs exactly its top-k rows: the
  // first one short of them (a gap in the groups has none).
  int64_t s = 0, l = 0, t = 0;
  for (size_t g = 0; g + 1 < group.size(); ++g) {
    size_t count = group[g + 1] - group[g];
    if (std::make_tuple(s, l, t) != key(rowAt(group[g])))
      count = 0;
    if ((int64_t)count != shape.topK[l])
      return err(pos(s, l, t) + " has " + llvm::Twine(count) +
                 " experts, the layer's top-k is " +
                 llvm::Twine(shape.topK[l]));
    if (++t == batch) {
      t = 0;
      if (++l == numLayers)
        l = 0, ++s;
    }
  }
  if (s != steps)
    return err(pos(s, l, t) + " has 0 experts, the layer's top-k is " +
               llvm::Twine(shape.topK[l]));
  // Complete: the trace is as large as the file's rows.
  GatingTrace trace;
  trace.resize(steps, batch, shape.numExperts, shape.topK);
  for (size_t g = 0; g + 1 < group.size(); ++g) {
    const Row &r = rowAt(group[g]);
    int32_t *out = trace.experts(r.s, r.l, r.t);
    for (size_t i = group[g]; i < group[g + 1]; ++i)
      *out++ = (int32_t)rowAt(i).e;
  }
  return trace;
}

//===----------------------------------------------------------------------===//
// NumPy .npy: int32/int64 little-endian, C order, shape (S, L, B, K).
//===----------------------------------------------------------------------===//

/// Value of `'key': value` in the header dict (up to the next ',' or '}'
/// outside parentheses).
std::optional<StringRef> headerField(StringRef dict, StringRef key) {
  std::string quoted = "'" + key.str() + "'";
  size_t at = dict.find(quoted);
  if (at == StringRef::npos)
    return std::nullopt;
  StringRef rest = dict.drop_front(at + quoted.size()).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  int depth = 0;
  size_t end = 0;
  for (; end < rest.size(); ++end) {
    char c = rest[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  return rest.take_front(end).trim();
}

llvm::Expected<GatingTrace> readNpy(const FileError &err, StringRef data,
                                    const ModelShape &shape) {
  if (data.size() < 10 || !data.starts_with("\x93NUMPY"))
    return err("not a NumPy .npy file (bad magic)");
  uint8_t major = data[6];
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = (uint8_t)data[8] | ((size_t)(uint8_t)data[9] << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12)
      return err("truncated .npy header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= (size_t)(uint8_t)data[8 + i] << (8 * i);
    headerStart = 12;
  } else {
    return err(".npy format version " + llvm::Twine((int)major) +
               " is not supported (1, 2 or 3)");
  }
  if (headerStart + headerLen > data.size())
    return err("truncated .npy header");
  StringRef dict = data.substr(headerStart, headerLen).trim();
  std::optional<StringRef> descr = headerField(dict, "descr");
  std::optional<StringRef> fortran = headerField(dict, "fortran_order");
  std::optional<StringRef> shapeText = headerField(dict, "shape");
  if (!descr || !fortran || !shapeText)
    return err(".npy header lacks descr, fortran_order or shape");
  size_t elem;
  if (*descr == "'<i4'")
    elem = 4;
  else if (*descr == "'<i8'")
    elem = 8;
  else
    return err("dtype " + *descr +
               " is not supported (little-endian int32 '<i4' or int64 '<i8')");
  if (*fortran != "False")
    return err("Fortran-order arrays are not supported (use C order)");
  StringRef dims = *shapeText;
  if (!dims.consume_front("(") || !dims.consume_back(")"))
    return err("malformed shape " + *shapeText);
  llvm::SmallVector<StringRef, 4> parts;
  dims.split(parts, ',', -1, /*KeepEmpty=*/false);
  llvm::SmallVector<int64_t, 4> dim;
  for (StringRef p : parts) {
    int64_t v;
    if (p.trim().getAsInteger(10, v) || v < 0)
      return err("malformed shape " + *shapeText);
    dim.push_back(v);
  }
  if (dim.size() != 4)
    return err("shape " + *shapeText +
               " must have 4 dimensions [steps, layers, batch, top_k]");
  int64_t numLayers = shape.topK.size();
  if (dim[1] != numLayers)
    return err("shape " + *shapeText + " has " + llvm::Twine(dim[1]) +
               " layers, the model has " + llvm::Twine(numLayers) +
               " MoE layers");
  for (int64_t l = 0; l < numLayers; ++l)
    if (shape.topK[l] != dim[3])
      return err("shape " + *shapeText + " has top_k " + llvm::Twine(dim[3]) +
                 ", MoE layer " + llvm::Twine(l) + " has top-k " +
                 llvm::Twine(shape.topK[l]));
  if (dim[0] == 0 || dim[2] == 0)
    return err("holds no step or no token");
  if (auto e = checkTraceSize("trace file '" + err.path + "'", dim[0], dim[2],
                              shape.topK))
    return std::move(e);
  size_t count = (size_t)dim[0] * dim[1] * dim[2] * dim[3];
  size_t payload = headerStart + headerLen;
  if (data.size() - payload != count * elem)
    return err("payload has " + llvm::Twine(data.size() - payload) +
               " bytes, the shape needs " + llvm::Twine(count * elem));
  GatingTrace trace;
  trace.resize(dim[0], dim[2], shape.numExperts, shape.topK);
  const unsigned char *p = (const unsigned char *)data.data() + payload;
  for (int64_t s = 0; s < dim[0]; ++s)
    for (int64_t l = 0; l < dim[1]; ++l)
      for (int64_t t = 0; t < dim[2]; ++t) {
        int32_t *out = trace.experts(s, l, t);
        std::string where;
        for (int64_t i = 0; i < dim[3]; ++i, p += elem) {
          uint64_t u = 0;
          for (size_t b = 0; b < elem; ++b)
            u |= (uint64_t)p[b] << (8 * b);
          int64_t v = elem == 4 ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
          if (v < 0 || v >= shape.numExperts[l])
            return err("expert " + llvm::Twine(v) + " at " + pos(s, l, t) +
                       " is out of range (the layer has " +
                       llvm::Twine(shape.numExperts[l]) + " experts)");
          out[i] = (int32_t)v;
        }
        if (auto x = checkDistinct(err, out, dim[3], pos(s, l, t)))
          return std::move(x);
      }
  return trace;
}

} // namespace

llvm::Expected<GatingTrace>
moesaic::workload::readTraceFile(StringRef path, const ModelDesc &model) {
  FileError err(path);
  if (std::optional<std::string> why = notARegularFile(path))
    return err("cannot be read: " + *why);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return err("cannot be read: " + buffer.getError().message());
  return readTraceBuffer(path, (*buffer)->getBuffer(), model);
}

llvm::Expected<GatingTrace>
moesaic::workload::readTraceBuffer(StringRef path, StringRef data,
                                   const ModelDesc &model) {
  FileError err(path);
  ModelShape shape = shapeOf(model);
  auto read = [&]() -> llvm::Expected<GatingTrace> {
    if (path.ends_with_insensitive(".json"))
      return readJSON(err, data, shape);
    if (path.ends_with_insensitive(".csv"))
      return readCSV(err, data, shape);
    if (path.ends_with_insensitive(".npy"))
      return readNpy(err, data, shape);
    return err("unknown format (expected .json, .csv or .npy)");
  };
  llvm::Expected<GatingTrace> trace = read();
  if (trace)
    trace->description = "file " + path.str();
  return trace;
}
