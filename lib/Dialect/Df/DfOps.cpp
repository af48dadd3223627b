//===- DfOps.cpp - when/where dataflow dialect ----------------------------===//
//
// Registration, verifiers, the `-> n` stream-count directive and the JSON
// form of a program (its schedule export).
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Df/DfOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace moesaic::df;

#include "Df/DfDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "Df/DfTypes.cpp.inc"

// `-> n`: n results of type !df.stream.
static ParseResult parseStreamCount(OpAsmParser &parser,
                                    SmallVectorImpl<Type> &types) {
  int64_t n = 0;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseInteger(n))
    return failure();
  if (n < 1 || n > (1 << 20))
    return parser.emitError(loc) << "stream count must be in 1..2^20, got "
                                 << n;
  types.assign(n, StreamType::get(parser.getContext()));
  return success();
}

static void printStreamCount(OpAsmPrinter &printer, Operation *,
                             TypeRange types) {
  printer << types.size();
}

#define GET_OP_CLASSES
#include "Df/DfOps.cpp.inc"

void DfDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "Df/DfTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Df/DfOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult OutputOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "port '" << getPort() << "' needs an input";
  return success();
}

LogicalResult WhenOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "needs at least one input";
  if ((int64_t)getThreshold() <= 0)
    return emitOpError() << "threshold must be positive, got "
                         << (int64_t)getThreshold();
  if (getReset() != "none" && getReset() != "on_fire")
    return emitOpError() << "reset must be \"none\" or \"on_fire\", got \""
                         << getReset() << "\"";
  if (auto control = getControl(); control && *control != "threshold")
    return emitOpError() << "unknown control \"" << *control
                         << "\" (expected \"threshold\")";
  return success();
}

LogicalResult WhereOp::verify() {
  size_t m = getInputs().size(), n = getOutputs().size();
  if (m == 0)
    return emitOpError() << "needs at least one input";
  auto adjacency = getAdjacencyAttr();
  auto control = getControlAttr();
  if (!!adjacency == !!control)
    return emitOpError()
           << "needs exactly one of a static `adjacency` and a `control` port";
  if (adjacency) {
    auto type = cast<ShapedType>(adjacency.getType());
    if (type.getRank() != 2 || type.getDimSize(0) != (int64_t)n ||
        type.getDimSize(1) != (int64_t)m)
      return emitOpError() << "adjacency must be " << n << " x " << m
                           << " (outputs x inputs)";
    for (APInt v : adjacency.getValues<APInt>())
      if (!v.isZero() && !v.isOne())
        return emitOpError() << "adjacency entries must be 0 or 1";
    return success();
  }
  StringRef kind = control.getValue();
  if (kind == "gating") {
    if (n % m != 0)
      return emitOpError() << "control \"gating\" needs experts x " << m
                           << " outputs, got " << n;
    if (auto program = (*this)->getParentOfType<ProgramOp>())
      if (auto experts = program->getAttrOfType<IntegerAttr>("experts"))
        if ((int64_t)(n / m) != experts.getInt())
          return emitOpError() << "control \"gating\" routes to " << n / m
                               << " experts, the program has "
                               << experts.getInt();
    return success();
  }
  if (kind == "trajectory") {
    if (n != m)
      return emitOpError() << "control \"trajectory\" needs as many outputs "
                              "as inputs (one per chiplet), got "
                           << n << " x " << m;
    if (!getAt() || getAt()->empty())
      return emitOpError() << "control \"trajectory\" needs `at [expert]`";
    return success();
  }
  if (kind == "links") {
    if (n != m)
      return emitOpError() << "control \"links\" needs as many outputs "
                              "as inputs (one per chiplet), got "
                           << n << " x " << m;
    if (!getAt() || getAt()->size() != 2 || ((*getAt())[1] != 0 &&
                                             (*getAt())[1] != 1))
      return emitOpError() << "control \"links\" needs `at [expert, "
                              "direction]` with direction 0 (clockwise) or 1 "
                              "(counter-clockwise)";
    return success();
  }
  if (kind == "select")
    return success();
  if (kind == "route") {
    if (m != 1)
      return emitOpError() << "control \"route\" needs exactly one input, got "
                           << m;
    return success();
  }
  return emitOpError() << "unknown control \"" << kind
                       << "\" (expected \"gating\", \"trajectory\", "
                          "\"links\", \"select\" or \"route\")";
}

LogicalResult ProgramOp::verifyRegions() {
  llvm::StringSet<> inputs, outputs;
  bool anyOutput = false;
  for (Operation &op : getBody().front()) {
    if (op.getDialect() != (*this)->getDialect())
      return op.emitOpError() << "is not a df node: a df.program holds "
                                 "only df.input, df.where, df.when, df.output";
    if (auto in = dyn_cast<InputOp>(op))
      if (!inputs.insert(in.getPort()).second)
        return in.emitOpError() << "duplicate input port '" << in.getPort()
                                << "'" << (in.getAt() ? " (same label)" : "");
    if (auto out = dyn_cast<OutputOp>(op)) {
      anyOutput = true;
      if (!outputs.insert(out.getPort()).second)
        return out.emitOpError() << "duplicate output port '" << out.getPort()
                                 << "'";
    }
    for (OpResult result : op.getResults())
      if (result.use_empty())
        return op.emitOpError() << "result #" << result.getResultNumber()
                                << " is a dangling stream: nothing consumes "
                                   "it";
  }
  if (!anyOutput)
    return emitOpError() << "'" << getSymName() << "' has no df.output";
  return success();
}

//===----------------------------------------------------------------------===//
// JSON form
//===----------------------------------------------------------------------===//

static llvm::json::Array labels(std::optional<ArrayRef<int64_t>> at) {
  llvm::json::Array out;
  if (at)
    for (int64_t v : *at)
      out.push_back(v);
  return out;
}

llvm::json::Object moesaic::df::programToJson(ProgramOp program) {
  llvm::DenseMap<Operation *, int64_t> index;
  llvm::json::Array nodes;
  // Reserve up front: json::Value's move constructor is not noexcept, so a
  // growing array deep-copies every node it holds (quadratic on the
  // 10^5-node programs of large models).
  size_t numOps = program.getBody().front().getOperations().size();
  nodes.reserve(numOps);
  index.reserve(numOps);
  auto edges = [&](OperandRange operands) {
    llvm::json::Array out;
    out.reserve(operands.size());
    for (Value v : operands) {
      auto r = cast<OpResult>(v);
      out.push_back(llvm::json::Array{index.lookup(r.getOwner()),
                                      (int64_t)r.getResultNumber()});
    }
    return out;
  };
  for (Operation &op : program.getBody().front()) {
    index[&op] = (int64_t)nodes.size();
    llvm::json::Object node;
    if (auto in = dyn_cast<InputOp>(op)) {
      node = llvm::json::Object{{"op", "input"}, {"port", in.getPort().str()},
              {"at", labels(in.getAt())}};
    } else if (auto out = dyn_cast<OutputOp>(op)) {
      node = llvm::json::Object{{"op", "output"}, {"port", out.getPort().str()},
              {"inputs", edges(out.getInputs())}};
    } else if (auto when = dyn_cast<WhenOp>(op)) {
      node = llvm::json::Object{{"op", "when"}, {"inputs", edges(when.getInputs())},
              {"threshold", (int64_t)when.getThreshold()},
              {"reset", when.getReset().str()}, {"at", labels(when.getAt())}};
      if (auto control = when.getControl())
        node["control"] = control->str();
    } else if (auto where = dyn_cast<WhereOp>(op)) {
      node = llvm::json::Object{{"op", "where"}, {"inputs", edges(where.getInputs())},
              {"outputs", (int64_t)where.getOutputs().size()},
              {"at", labels(where.getAt())}};
      if (auto adjacency = where.getAdjacencyAttr()) {
        int64_t m = (int64_t)where.getInputs().size();
        llvm::json::Array rows, row;
        for (APInt v : adjacency.getValues<APInt>()) {
          row.push_back((int64_t)v.getZExtValue());
          if ((int64_t)row.size() == m) {
            rows.push_back(std::move(row));
            row = llvm::json::Array();
          }
        }
        node["adjacency"] = std::move(rows);
      } else {
        node["control"] = where.getControl()->str();
      }
    }
    nodes.push_back(std::move(node));
  }
  llvm::json::Object params;
  for (NamedAttribute attr : program->getDiscardableAttrs())
    if (auto i = dyn_cast<IntegerAttr>(attr.getValue()))
      params[attr.getName().str()] = i.getInt();
  return llvm::json::Object{{"name", program.getSymName().str()},
                            {"params", std::move(params)},
                            {"nodes", std::move(nodes)}};
}

void ProgramOp::exportTo(llvm::json::Object &layerEntry) {
  layerEntry["dataflow"] = programToJson(*this);
}

bool ProgramOp::exportsSameAs(Operation *other) {
  auto program = dyn_cast<ProgramOp>(other);
  // The parameters are the discardable attributes (the name and the layer
  // are inherent and may differ).
  return program &&
         (*this)->getDiscardableAttrDictionary() ==
             program->getDiscardableAttrDictionary() &&
         OperationEquivalence::isRegionEquivalentTo(
             &getBody(), &program.getBody(),
             OperationEquivalence::IgnoreLocations);
}

void ProgramOp::exportReferenceTo(llvm::json::Object &layerEntry,
                                  int64_t sameAsLayer) {
  layerEntry["dataflow"] = llvm::json::Object{
      {"name", getSymName().str()}, {"same_as_layer", sameAsLayer}};
}

//===----------------------------------------------------------------------===//
// df.program_ref
//===----------------------------------------------------------------------===//

ProgramOp ProgramRefOp::getTarget() {
  Block *block = (*this)->getBlock();
  if (!block)
    return nullptr;
  for (Operation &op : *block)
    if (auto program = dyn_cast<ProgramOp>(op))
      if (program.getSymName() == getProgram())
        return program;
  return nullptr;
}

LogicalResult ProgramRefOp::verify() {
  if (getTarget())
    return success();
  Block *block = (*this)->getBlock();
  if (block)
    for (Operation &op : *block)
      if (auto ref = dyn_cast<ProgramRefOp>(op))
        if (ref != *this && ref.getSymName() == getProgram())
          return emitOpError()
                 << "names '" << getProgram()
                 << "', a df.program_ref: it must name a df.program";
  return emitOpError() << "names no df.program '" << getProgram()
                       << "' in its block";
}

void ProgramRefOp::exportTo(llvm::json::Object &layerEntry) {
  // Verified IR always has the target; unverified IR exports a reference
  // to the op's own layer, which the loader refuses with a clear error.
  ProgramOp target = getTarget();
  int64_t layer = (int64_t)(target ? target.getLayer() : getLayer());
  layerEntry["dataflow"] = llvm::json::Object{
      {"name", getSymName().str()}, {"same_as_layer", layer}};
}
