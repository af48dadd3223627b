//===- OnnxGraph.h - A plain, validated view of an ONNX graph ---*- C++ -*-===//
//
// What the importer needs from an ONNX ModelProto, copied into plain structs
// so that only OnnxGraphBuilder.cpp sees protobuf: nodes in topological
// order, values with producer/consumers, element types and shapes (-1 for
// unknown dimensions), and the values of small integer/float constants
// (shape operands, top-k, scale factors). Weight data is never copied.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_LIB_FRONTEND_ONNXGRAPH_H
#define MOESAIC_LIB_FRONTEND_ONNXGRAPH_H

#include "moesaic/Frontend/OnnxImporter.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moesaic::onnxfe {

/// ONNX TensorProto::DataType codes used here.
enum ElemType : int {
  kUndefined = 0, kFloat = 1, kUint8 = 2, kInt8 = 3, kUint16 = 4,
  kInt16 = 5, kInt32 = 6, kInt64 = 7, kString = 8, kBool = 9,
  kFloat16 = 10, kDouble = 11, kUint32 = 12, kUint64 = 13, kBFloat16 = 16,
  kFloat8E4M3FN = 17, kFloat8E4M3FNUZ = 18, kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20, kUint4 = 21, kInt4 = 22
};

/// Bytes of one element (0.5 for 4-bit types); 0 if unknown.
double elemBytes(int elemType);
bool isFloatElem(int elemType);

struct Value {
  std::string name;
  int elemType = kUndefined;
  bool hasShape = false;
  std::vector<int64_t> dims; ///< -1: unknown or symbolic.
  bool isInitializer = false;
  bool isGraphInput = false;
  bool isGraphOutput = false;
  /// A weight: an initializer, or a graph input with a fully static shape
  /// that is not the first input (weights given as inputs, shape-only).
  bool isParam = false;
  bool external = false; ///< Initializer whose data is external (never read).
  std::optional<std::vector<int64_t>> ints;   ///< Small integer constant.
  std::optional<std::vector<double>> floats;  ///< Small float constant.
  /// A 1-D or scalar integer tensor computed from shapes (Shape, Gather,
  /// Concat, ...): its elements, -1 where unknown. Reshape targets.
  std::optional<std::vector<int64_t>> shapeData;
  int producer = -1;
  std::vector<int> consumers;

  int64_t rank() const { return hasShape ? (int64_t)dims.size() : -1; }
  /// Last dimension, -1 if unknown.
  int64_t lastDim() const {
    return hasShape && !dims.empty() ? dims.back() : -1;
  }
  bool fullyStatic() const;
};

struct Attr {
  enum Kind { Int, Float, String, Ints, Floats, Strings, Other } kind = Other;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
};

struct Node {
  std::string name, opType, domain;
  std::vector<int> inputs;  ///< Value ids; -1 for an absent optional input.
  std::vector<int> outputs; ///< Value ids; -1 for an absent output.
  std::map<std::string, Attr> attrs;

  int input(size_t i) const { return i < inputs.size() ? inputs[i] : -1; }
  int output(size_t i) const { return i < outputs.size() ? outputs[i] : -1; }
  const Attr *attr(const std::string &n) const {
    auto it = attrs.find(n);
    return it == attrs.end() ? nullptr : &it->second;
  }
  int64_t intAttr(const std::string &n, int64_t dflt) const {
    const Attr *a = attr(n);
    return a && a->kind == Attr::Int ? a->i : dflt;
  }
  double floatAttr(const std::string &n, double dflt) const {
    const Attr *a = attr(n);
    return a && a->kind == Attr::Float ? a->f : dflt;
  }
  std::string strAttr(const std::string &n, const std::string &dflt) const {
    const Attr *a = attr(n);
    return a && a->kind == Attr::String ? a->s : dflt;
  }
  bool isStd() const { return domain.empty() || domain == "ai.onnx"; }
  bool isMs() const { return domain == "com.microsoft"; }
  bool is(llvm::StringRef op) const { return isStd() && opType == op; }
};

struct Graph {
  std::vector<Node> nodes; ///< Topologically sorted.
  std::vector<Value> values;
  llvm::StringMap<int> valueIds;
  std::vector<int> inputs, outputs;
  std::map<std::string, int64_t> opsets;
  std::string graphName;
  int64_t paramsBytes = 0;
  std::vector<std::string> warnings;

  /// Value `id`. An absent input (id -1: an empty name in the node's input
  /// list, or an index past its inputs) reads as a value nothing is known
  /// of (no shape, no producer), so rules that look at optional inputs
  /// cannot index out of range (fuzzer finds: MatMul, Conv).
  const Value &value(int id) const {
    if (id < 0 || (size_t)id >= values.size())
      return absentValue();
    return values[id];
  }
  /// The same, writable; what is written to an absent value is dropped.
  Value &value(int id) {
    if (id < 0 || (size_t)id >= values.size()) {
      static thread_local Value scratch;
      scratch = Value();
      return scratch;
    }
    return values[id];
  }
  static const Value &absentValue() {
    static const Value absent;
    return absent;
  }
  /// The node producing value `id`, or null.
  const Node *producer(int id) const {
    int p = value(id).producer;
    return p >= 0 ? &nodes[p] : nullptr;
  }
};

/// Builds and validates the graph of `model` (defined in
/// OnnxGraphBuilder.cpp, the only file that sees protobuf). Errors name the
/// reason only; the caller adds the file name.
llvm::Expected<Graph> buildGraph(const onnx::ModelProto &model,
                                 const OnnxImportOptions &options);

/// Fills in shapes ONNX's inference left unknown (com.microsoft ops, ops
/// downstream of them, ...): ShapeRules.cpp.
void inferMissingShapes(Graph &graph);

/// Prints "<phase>: <ms>" to stderr when `enabled`, timing from `start`
/// and resetting it (OnnxImporter.cpp).
void phaseTime(bool enabled, const char *phase,
               std::chrono::steady_clock::time_point &start);

/// Element count of `dims` (unknown dims count as 1, a zero dim makes 0),
/// or nullopt when the nonzero dims multiply past 64 bits.
std::optional<int64_t> checkedNumel(const std::vector<int64_t> &dims);

} // namespace moesaic::onnxfe

#endif // MOESAIC_LIB_FRONTEND_ONNXGRAPH_H
