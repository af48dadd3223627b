//===- OnnxGraphBuilder.cpp - ModelProto -> validated plain graph ---------===//
//
// The only file of the frontend that sees protobuf and libonnx. It parses
// bytes or ONNX text, validates what the importer relies on (opsets, defined
// inputs, single definitions, acyclicity, sane dimensions), sorts the nodes
// topologically, runs ONNX's shape inference on a copy stripped of weight
// data, and copies the result into onnxfe::Graph.
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"

#include "onnx/defs/parser.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <map>
#include <queue>

using namespace moesaic;
using namespace moesaic::onnxfe;

namespace {
/// Highest default-domain opset any ONNX release defines as of writing; the
/// ONNX library linked here (1.12) knows schemas up to 17.
constexpr int64_t kMaxKnownOpset = 23;
constexpr int64_t kLibOpset = 17;
/// Constants up to this many elements are read (shape operands, k, scales).
constexpr int64_t kSmallConstant = 64;

llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

class Builder {
public:
  Builder(const onnx::ModelProto &model, const OnnxImportOptions &options)
      : model(model), options(options) {}
  llvm::Expected<Graph> build();

private:
  llvm::Error readOpsets();
  llvm::Expected<int> define(const std::string &name, int producer);
  llvm::Error readType(const onnx::TypeProto &type, Value &v,
                       const std::string &what);
  llvm::Error readDims(const google::protobuf::RepeatedField<int64_t> &dims,
                       Value &v, const std::string &what);
  void readSmallConstant(const onnx::TensorProto &t, Value &v);
  llvm::Error readConstantNode(const onnx::NodeProto &n, Value &v);
  llvm::Error sortNodes(std::vector<int> &order);
  void runShapeInference();

  const onnx::ModelProto &model;
  const OnnxImportOptions &options;
  Graph g;
};
} // namespace

double moesaic::onnxfe::elemBytes(int t) {
  switch (t) {
  case kFloat: case kInt32: case kUint32: return 4;
  case kDouble: case kInt64: case kUint64: return 8;
  case kFloat16: case kBFloat16: case kInt16: case kUint16: return 2;
  case kUint8: case kInt8: case kBool: case kFloat8E4M3FN:
  case kFloat8E4M3FNUZ: case kFloat8E5M2: case kFloat8E5M2FNUZ: return 1;
  case kUint4: case kInt4: return 0.5;
  default: return 0;
  }
}

bool moesaic::onnxfe::isFloatElem(int t) {
  return t == kFloat || t == kFloat16 || t == kBFloat16 || t == kDouble ||
         (t >= kFloat8E4M3FN && t <= kFloat8E5M2FNUZ);
}

bool Value::fullyStatic() const {
  return hasShape && llvm::all_of(dims, [](int64_t d) { return d >= 0; });
}

std::optional<int64_t> moesaic::onnxfe::checkedNumel(
    const std::vector<int64_t> &dims) {
  int64_t n = 1;
  bool empty = false;
  for (int64_t d : dims) {
    empty |= d == 0;
    if (d > 0 && __builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  }
  // A zero dimension empties the tensor (fuzzer find: counted as 1, a
  // 0 x 2^60 weight weighed 2^62 bytes), but the other dimensions must
  // still multiply within 64 bits: code downstream may multiply them.
  return empty ? 0 : n;
}

llvm::Error Builder::readOpsets() {
  for (const onnx::OperatorSetIdProto &o : model.opset_import()) {
    std::string domain = o.domain() == "ai.onnx" ? "" : o.domain();
    if (domain.empty() && (o.version() < 1 || o.version() > kMaxKnownOpset))
      return fail(llvm::formatv("unknown opset {0} of the default ONNX domain "
                                "(known: 1 to {1})",
                                o.version(), kMaxKnownOpset));
    if (o.version() < 0)
      return fail(llvm::formatv("negative opset version {0} for domain '{1}'",
                                o.version(), domain));
    g.opsets[domain] = o.version();
  }
  auto it = g.opsets.find("");
  if (it != g.opsets.end() && it->second > kLibOpset)
    g.warnings.push_back(llvm::formatv(
        "default-domain opset {0} is newer than the ONNX library's ({1}); "
        "ONNX shape inference may leave shapes unknown",
        it->second, kLibOpset));
  return llvm::Error::success();
}

llvm::Expected<int> Builder::define(const std::string &name, int producer) {
  auto [it, inserted] = g.valueIds.try_emplace(name, (int)g.values.size());
  if (inserted) {
    Value v;
    v.name = name;
    v.producer = producer;
    g.values.push_back(std::move(v));
    return it->second;
  }
  Value &v = g.values[it->second];
  if (producer >= 0) {
    if (v.producer >= 0 || v.isGraphInput || v.isInitializer)
      return fail(llvm::formatv("value '{0}' is defined twice", name));
    v.producer = producer;
  }
  return it->second;
}

llvm::Error Builder::readDims(
    const google::protobuf::RepeatedField<int64_t> &dims, Value &v,
    const std::string &what) {
  v.hasShape = true;
  v.dims.clear();
  for (int64_t d : dims) {
    if (d < 0)
      return fail(llvm::formatv("{0} has a negative dimension ({1})", what, d));
    if (d > options.maxDim)
      return fail(llvm::formatv("{0} has an absurd dimension ({1} > {2})",
                                what, d, options.maxDim));
    v.dims.push_back(d);
  }
  if (!checkedNumel(v.dims))
    return fail(llvm::formatv("{0}: element count overflows 64 bits", what));
  return llvm::Error::success();
}

llvm::Error Builder::readType(const onnx::TypeProto &type, Value &v,
                              const std::string &what) {
  if (!type.has_tensor_type())
    return llvm::Error::success();
  const onnx::TypeProto::Tensor &t = type.tensor_type();
  if (t.elem_type() != 0)
    v.elemType = t.elem_type();
  if (!t.has_shape())
    return llvm::Error::success();
  v.hasShape = true;
  v.dims.clear();
  for (const onnx::TensorShapeProto::Dimension &d : t.shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0)
        return fail(llvm::formatv("{0} has a negative dimension ({1})", what,
                                  d.dim_value()));
      if (d.dim_value() > options.maxDim)
        return fail(llvm::formatv("{0} has an absurd dimension ({1} > {2})",
                                  what, d.dim_value(), options.maxDim));
      v.dims.push_back(d.dim_value());
    } else {
      v.dims.push_back(-1);
    }
  }
  if (!checkedNumel(v.dims))
    return fail(llvm::formatv("{0}: element count overflows 64 bits", what));
  return llvm::Error::success();
}

/// Little-endian raw data of a small tensor.
template <typename T>
static std::vector<T> rawAs(const std::string &raw, size_t n) {
  std::vector<T> out(n);
  // An empty tensor has no storage: memcpy from or to null is undefined
  // even for 0 bytes (UBSan, fuzzer find).
  if (n > 0 && raw.size() >= n * sizeof(T))
    std::memcpy(out.data(), raw.data(), n * sizeof(T));
  return out;
}

void Builder::readSmallConstant(const onnx::TensorProto &t, Value &v) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return;
  std::optional<int64_t> n = checkedNumel(v.dims);
  if (!n || *n > kSmallConstant)
    return;
  size_t count = (size_t)*n;
  auto ints = [&](auto vec) {
    v.ints = std::vector<int64_t>(vec.begin(), vec.end());
    v.floats = std::vector<double>(vec.begin(), vec.end());
  };
  auto floats = [&](auto vec) {
    v.floats = std::vector<double>(vec.begin(), vec.end());
  };
  bool raw = t.has_raw_data();
  if (raw && t.raw_data().size() < count * std::max(1.0, elemBytes(t.data_type())))
    return;
  switch (t.data_type()) {
  case kInt64:
    if (raw) ints(rawAs<int64_t>(t.raw_data(), count));
    else if ((size_t)t.int64_data_size() == count) ints(t.int64_data());
    break;
  case kInt32:
    if (raw) ints(rawAs<int32_t>(t.raw_data(), count));
    else if ((size_t)t.int32_data_size() == count) ints(t.int32_data());
    break;
  case kFloat:
    if (raw) floats(rawAs<float>(t.raw_data(), count));
    else if ((size_t)t.float_data_size() == count) floats(t.float_data());
    break;
  case kDouble:
    if (raw) floats(rawAs<double>(t.raw_data(), count));
    else if ((size_t)t.double_data_size() == count) floats(t.double_data());
    break;
  default:
    break;
  }
}

llvm::Error Builder::readConstantNode(const onnx::NodeProto &n, Value &v) {
  for (const onnx::AttributeProto &a : n.attribute()) {
    if (a.name() == "value" && a.has_t()) {
      v.elemType = a.t().data_type();
      if (llvm::Error e = readDims(a.t().dims(), v, "constant '" + v.name + "'"))
        return e;
      readSmallConstant(a.t(), v);
    } else if (a.name() == "value_int") {
      v.elemType = kInt64; v.hasShape = true; v.dims = {};
      v.ints = std::vector<int64_t>{a.i()};
      v.floats = std::vector<double>{(double)a.i()};
    } else if (a.name() == "value_float") {
      v.elemType = kFloat; v.hasShape = true; v.dims = {};
      v.floats = std::vector<double>{a.f()};
    } else if (a.name() == "value_ints") {
      v.elemType = kInt64; v.hasShape = true;
      v.dims = {(int64_t)a.ints_size()};
      v.ints = std::vector<int64_t>(a.ints().begin(), a.ints().end());
      v.floats = std::vector<double>(a.ints().begin(), a.ints().end());
    } else if (a.name() == "value_floats") {
      v.elemType = kFloat; v.hasShape = true;
      v.dims = {(int64_t)a.floats_size()};
      v.floats = std::vector<double>(a.floats().begin(), a.floats().end());
    }
  }
  return llvm::Error::success();
}

/// Kahn's algorithm, taking ready nodes in their file order so that a file
/// already in order keeps it. Fails on a cycle.
llvm::Error Builder::sortNodes(std::vector<int> &order) {
  size_t n = g.nodes.size();
  std::vector<int> pending(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (int in : g.nodes[i].inputs)
      if (in >= 0 && g.values[in].producer >= 0)
        ++pending[i];
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0)
      ready.push((int)i);
  order.clear();
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int out : g.nodes[i].outputs)
      if (out >= 0)
        for (int c : g.values[out].consumers)
          if (--pending[c] == 0)
            ready.push(c);
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i)
      if (pending[i] > 0)
        return fail(llvm::formatv("the graph has a cycle through node '{0}' "
                                  "({1})",
                                  g.nodes[i].name, g.nodes[i].opType));
  }
  return llvm::Error::success();
}

void Builder::runShapeInference() {
  // A copy without weight data: big or external initializers become typed
  // graph inputs, so inference costs time in the node count only.
  onnx::ModelProto copy;
  copy.set_ir_version(model.ir_version());
  *copy.mutable_opset_import() = model.opset_import();
  const onnx::GraphProto &src = model.graph();
  onnx::GraphProto *dst = copy.mutable_graph();
  *dst->mutable_node() = src.node();
  *dst->mutable_input() = src.input();
  *dst->mutable_output() = src.output();
  *dst->mutable_value_info() = src.value_info();
  llvm::StringSet<> inputs;
  for (const onnx::ValueInfoProto &i : src.input())
    inputs.insert(i.name());
  for (const onnx::TensorProto &t : src.initializer()) {
    const Value &v = g.values[g.valueIds.lookup(t.name())];
    if (v.ints || v.floats) {
      *dst->add_initializer() = t;
      continue;
    }
    if (inputs.contains(t.name()))
      continue;
    onnx::ValueInfoProto *vi = dst->add_input();
    vi->set_name(t.name());
    auto *tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(t.data_type());
    auto *shape = tt->mutable_shape();
    for (int64_t d : t.dims())
      shape->add_dim()->set_dim_value(d);
  }
  // ONNX 1.12's ConvTranspose and Gemm inference read past malformed
  // nodes (SEGVs found by moesaic-fuzz-onnx, test/Security: Gemm-6 indexes
  // the second dimension of a lower-rank B): those nodes are left out of
  // ONNX's pass and to ShapeRules.cpp.
  // ONNX's inference functions assume the checker ran first: a node with
  // fewer inputs than its schema requires, or an absent required input,
  // makes some of them read a missing input's type (Gemm-6 with two inputs:
  // SEGV found by moesaic-fuzz-onnx). Such nodes are left out too.
  std::map<std::string, int> opsetOf;
  for (const onnx::OperatorSetIdProto &o : copy.opset_import())
    opsetOf[o.domain() == "ai.onnx" ? "" : o.domain()] = (int)o.version();
  // Names a node may read: graph inputs, initializers, node outputs.
  llvm::StringSet<> defined;
  for (const onnx::ValueInfoProto &i : dst->input())
    defined.insert(i.name());
  for (const onnx::TensorProto &t : dst->initializer())
    defined.insert(t.name());
  for (const onnx::NodeProto &node : dst->node())
    for (const std::string &o : node.output())
      defined.insert(o);
  auto malformed = [&](const onnx::NodeProto &node) {
    // Window sizes that are not positive: Conv and pooling inference
    // divide by the strides (AveragePool with a zero stride: SIGFPE found
    // by moesaic-fuzz-onnx), DepthToSpace/SpaceToDepth by the block size.
    for (const onnx::AttributeProto &a : node.attribute())
      if (a.name() == "strides" || a.name() == "dilations" ||
          a.name() == "kernel_shape" || a.name() == "group" ||
          a.name() == "blocksize") {
        if (a.has_i() && a.i() <= 0)
          return true;
        for (int64_t v : a.ints())
          if (v <= 0)
            return true;
      }
    // An input nothing defines has no type; old inference functions (Gemm-6,
    // second fuzz finding) read it anyway.
    for (const std::string &in : node.input())
      if (!in.empty() && !defined.contains(in))
        return true;
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto version = opsetOf.find(domain);
    if (version == opsetOf.end())
      return false;
    const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
        node.op_type(), version->second, domain);
    if (!schema)
      return false;
    int n = node.input_size();
    if (n < schema->min_input() || n > schema->max_input())
      return true;
    const auto &formal = schema->inputs();
    for (int i = 0; i < n && i < (int)formal.size(); ++i)
      if (formal[i].GetOption() == onnx::OpSchema::Single &&
          node.input(i).empty())
        return true;
    return false;
  };
  for (int i = dst->node_size() - 1; i >= 0; --i)
    if (dst->node(i).op_type() == "ConvTranspose" ||
        dst->node(i).op_type() == "Gemm" || malformed(dst->node(i)))
      dst->mutable_node()->DeleteSubrange(i, 1);
  try {
    // Data propagation stays off: in ONNX 1.12 it crashes on some graphs
    // (Shape of a ReduceSum with keepdims=0); ShapeRules.cpp propagates
    // shape tensors itself.
    onnx::ShapeInferenceOptions opts(/*check_type=*/false, /*error_mode=*/0,
                                     /*data_prop=*/false);
    onnx::shape_inference::InferShapes(copy,
                                       onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const std::exception &e) {
    g.warnings.push_back(std::string("ONNX shape inference stopped early: ") +
                         e.what());
  }
  for (const onnx::ValueInfoProto &vi : copy.graph().value_info()) {
    auto it = g.valueIds.find(vi.name());
    if (it == g.valueIds.end())
      continue;
    Value &v = g.values[it->second];
    if (v.hasShape && v.elemType != kUndefined)
      continue;
    Value inferred = v;
    if (llvm::Error e = readType(vi.type(), inferred, "value '" + v.name + "'")) {
      llvm::consumeError(std::move(e)); // Inference's own output: ignore.
      continue;
    }
    if (!v.hasShape) {
      v.hasShape = inferred.hasShape;
      v.dims = inferred.dims;
    }
    if (v.elemType == kUndefined)
      v.elemType = inferred.elemType;
  }
}

llvm::Expected<Graph> Builder::build() {
  g.values.reserve(model.graph().input_size() + model.graph().initializer_size() +
                   2 * (size_t)model.graph().node_size());
  if (!model.has_graph())
    return fail("not an ONNX model: no graph");
  if (model.ir_version() <= 0)
    return fail("not an ONNX model: missing ir_version");
  if (llvm::Error e = readOpsets())
    return std::move(e);
  const onnx::GraphProto &graph = model.graph();
  g.graphName = graph.name();
  if ((int64_t)graph.node_size() > options.maxNodes)
    return fail(llvm::formatv("{0} nodes exceed the limit of {1}",
                              graph.node_size(), options.maxNodes));

  // Graph inputs, then initializers (which may repeat inputs).
  for (const onnx::ValueInfoProto &in : graph.input()) {
    llvm::Expected<int> id = define(in.name(), -1);
    if (!id)
      return id.takeError();
    Value &v = g.values[*id];
    if (v.isGraphInput)
      return fail(llvm::formatv("graph input '{0}' is declared twice", in.name()));
    v.isGraphInput = true;
    if (llvm::Error e = readType(in.type(), v, "graph input '" + in.name() + "'"))
      return std::move(e);
    g.inputs.push_back(*id);
  }
  for (const onnx::TensorProto &t : graph.initializer()) {
    llvm::Expected<int> id = define(t.name(), -1);
    if (!id)
      return id.takeError();
    Value &v = g.values[*id];
    if (v.isInitializer)
      return fail(llvm::formatv("initializer '{0}' is given twice", t.name()));
    v.isInitializer = v.isParam = true;
    v.elemType = t.data_type();
    if (llvm::Error e = readDims(t.dims(), v, "initializer '" + t.name() + "'"))
      return std::move(e);
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      v.external = true;
      // Never opened; a path that escapes the model directory is refused
      // all the same, as the ONNX checker does.
      for (const onnx::StringStringEntryProto &kv : t.external_data()) {
        if (kv.key() != "location")
          continue;
        llvm::StringRef loc = kv.value();
        bool escapes = loc.empty() || llvm::sys::path::is_absolute(loc) ||
                       loc.starts_with("/") || loc.starts_with("\\");
        for (auto it = llvm::sys::path::begin(loc),
                  end = llvm::sys::path::end(loc);
             it != end; ++it)
          if (*it == "..")
            escapes = true;
        if (escapes)
          return fail(llvm::formatv("initializer '{0}' points at external data "
                                    "'{1}' outside the model's directory",
                                    t.name(), loc));
      }
    } else {
      // In-file data must be exactly what the dims claim: a tensor that
      // claims 10 GiB and holds 4 bytes is malformed, whatever uses it.
      double perElem = elemBytes(t.data_type());
      std::optional<int64_t> n = checkedNumel(v.dims);
      if (t.has_raw_data() && perElem > 0 && n &&
          std::ceil((double)*n * perElem) != (double)t.raw_data().size())
        return fail(llvm::formatv(
            "initializer '{0}' claims {1} elements ({2} bytes) but holds {3} "
            "bytes of data",
            t.name(), *n, (uint64_t)std::ceil((double)*n * perElem),
            t.raw_data().size()));
      readSmallConstant(t, v);
    }
  }
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    Value &v = g.values[g.inputs[i]];
    if (!v.isInitializer && i > 0 && v.fullyStatic() && !v.dims.empty() &&
        isFloatElem(v.elemType))
      v.isParam = true;
    if (!v.isInitializer && i > 0 && v.fullyStatic() && v.dims.size() >= 2 &&
        (v.elemType == kUint8 || v.elemType == kInt8))
      v.isParam = true; // Packed quantised weights.
  }

  // Nodes and their outputs.
  std::vector<Node> nodes;
  nodes.reserve(graph.node_size());
  for (int ni = 0; ni < graph.node_size(); ++ni) {
    const onnx::NodeProto &np = graph.node(ni);
    Node n;
    n.name = np.name().empty() ? ("#" + std::to_string(ni) + ":" + np.op_type())
                               : np.name();
    n.opType = np.op_type();
    n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    if (n.opType.empty())
      return fail(llvm::formatv("node {0} has no op_type", ni));
    if (!g.opsets.count(n.domain)) {
      if (n.domain.empty())
        return fail(llvm::formatv("node '{0}' ({1}) uses the default ONNX "
                                  "domain but the model imports no opset for it",
                                  n.name, n.opType));
      g.warnings.push_back(llvm::formatv(
          "node '{0}' uses domain '{1}', which the model does not import",
          n.name, n.domain));
      g.opsets[n.domain] = 1;
    }
    for (const onnx::AttributeProto &a : np.attribute()) {
      Attr at;
      switch (a.type()) {
      case onnx::AttributeProto::INT: at.kind = Attr::Int; at.i = a.i(); break;
      case onnx::AttributeProto::FLOAT: at.kind = Attr::Float; at.f = a.f(); break;
      case onnx::AttributeProto::STRING: at.kind = Attr::String; at.s = a.s(); break;
      case onnx::AttributeProto::INTS:
        at.kind = Attr::Ints;
        at.ints.assign(a.ints().begin(), a.ints().end());
        break;
      case onnx::AttributeProto::FLOATS:
        at.kind = Attr::Floats;
        at.floats.assign(a.floats().begin(), a.floats().end());
        break;
      default: break;
      }
      n.attrs[a.name()] = std::move(at);
    }
    for (const std::string &out : np.output()) {
      if (out.empty()) {
        n.outputs.push_back(-1);
        continue;
      }
      llvm::Expected<int> id = define(out, ni);
      if (!id)
        return id.takeError();
      n.outputs.push_back(*id);
    }
    if (n.isStd() && n.opType == "Constant" && n.output(0) >= 0)
      if (llvm::Error e = readConstantNode(np, g.values[n.output(0)]))
        return std::move(e);
    nodes.push_back(std::move(n));
  }
  // Inputs resolve now that every definition is known.
  for (int ni = 0; ni < graph.node_size(); ++ni) {
    const onnx::NodeProto &np = graph.node(ni);
    for (const std::string &in : np.input()) {
      if (in.empty()) {
        nodes[ni].inputs.push_back(-1);
        continue;
      }
      auto it = g.valueIds.find(in);
      if (it == g.valueIds.end())
        return fail(llvm::formatv("node '{0}' ({1}) reads '{2}', which no "
                                  "node, graph input or initializer defines",
                                  nodes[ni].name, nodes[ni].opType, in));
      nodes[ni].inputs.push_back(it->second);
      g.values[it->second].consumers.push_back(ni);
    }
  }
  g.nodes = std::move(nodes);
  for (const onnx::ValueInfoProto &out : graph.output()) {
    auto it = g.valueIds.find(out.name());
    if (it == g.valueIds.end())
      return fail(llvm::formatv("graph output '{0}' is never defined",
                                out.name()));
    Value &v = g.values[it->second];
    v.isGraphOutput = true;
    if (!v.hasShape || v.elemType == kUndefined) {
      Value declared = v;
      if (llvm::Error e =
              readType(out.type(), declared, "graph output '" + out.name() + "'"))
        return std::move(e);
      v = declared;
    }
    g.outputs.push_back(it->second);
  }
  for (const onnx::ValueInfoProto &vi : graph.value_info()) {
    auto it = g.valueIds.find(vi.name());
    if (it == g.valueIds.end())
      continue;
    if (llvm::Error e = readType(vi.type(), g.values[it->second],
                                 "value '" + vi.name() + "'"))
      return std::move(e);
  }

  std::vector<int> order;
  if (llvm::Error e = sortNodes(order))
    return std::move(e);
  bool sorted = true;
  for (size_t i = 0; i < order.size(); ++i)
    sorted &= order[i] == (int)i;
  if (!sorted) {
    std::vector<int> position(order.size());
    for (size_t i = 0; i < order.size(); ++i)
      position[order[i]] = (int)i;
    std::vector<Node> reordered;
    reordered.reserve(order.size());
    for (int i : order)
      reordered.push_back(std::move(g.nodes[i]));
    g.nodes = std::move(reordered);
    for (Value &v : g.values) {
      if (v.producer >= 0)
        v.producer = position[v.producer];
      for (int &c : v.consumers)
        c = position[c];
    }
  }

  auto start = std::chrono::steady_clock::now();
  if (options.runOnnxShapeInference)
    runShapeInference();
  phaseTime(options.printTiming, "onnx shape inference", start);
  inferMissingShapes(g);
  phaseTime(options.printTiming, "importer shape rules", start);

  int64_t total = 0;
  for (const Value &v : g.values) {
    if (!v.isParam || !v.hasShape)
      continue;
    std::optional<int64_t> n = checkedNumel(v.dims);
    double bytes = n ? (double)*n * elemBytes(v.elemType) : 0;
    if (!n || bytes > 9.0e18 || __builtin_add_overflow(total, (int64_t)bytes, &total))
      return fail(llvm::formatv("the size of weight '{0}' overflows", v.name));
  }
  g.paramsBytes = total;
  return std::move(g);
}

llvm::Expected<Graph>
moesaic::onnxfe::buildGraph(const onnx::ModelProto &model,
                            const OnnxImportOptions &options) {
  return Builder(model, options).build();
}

namespace moesaic::onnxfe {
/// Parses `bytes` (binary protobuf, or ONNX text if `isText`) and builds.
llvm::Expected<Graph> buildGraphFromBytes(llvm::StringRef bytes, bool isText,
                                          const OnnxImportOptions &options) {
  auto start = std::chrono::steady_clock::now();
  onnx::ModelProto model;
  if (isText) {
    std::string text = bytes.str();
    onnx::Status status;
    // ONNX's text parser converts numbers with std::stoll/stol/stof, which
    // throw on a number out of range (a dimension of 20 digits, 1e999):
    // caught here, or it aborted the program.
    try {
      onnx::OnnxParser parser(text.c_str());
      status = parser.Parse(model);
    } catch (const std::out_of_range &) {
      return fail("cannot parse ONNX text: a number is out of range");
    } catch (const std::exception &e) {
      return fail(std::string("cannot parse ONNX text: ") + e.what());
    }
    if (!status.IsOK())
      return fail("cannot parse ONNX text: " + status.ErrorMessage());
  } else {
    if (bytes.empty())
      return fail("not an ONNX model: the file is empty");
    if (bytes.size() >= (size_t)INT_MAX)
      return fail("the file is larger than 2 GiB: protobuf cannot hold it "
                  "(store the weights as external data)");
    if (!model.ParseFromArray(bytes.data(), (int)bytes.size()))
      return fail("not an ONNX model: protobuf parsing failed (truncated or "
                  "not a ModelProto)");
  }
  phaseTime(options.printTiming, "protobuf parse", start);
  llvm::Expected<Graph> g = buildGraph(model, options);
  phaseTime(options.printTiming, "graph build (with inference)", start);
  return g;
}
} // namespace moesaic::onnxfe
