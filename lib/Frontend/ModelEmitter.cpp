//===- ModelEmitter.cpp - Recognised graph -> moe.model -------------------===//
//
// Finds the hidden-state input (a float graph input, or the output of the
// token embedding's Gather), runs the recognisers, then walks the nodes in
// topological order: a recognised block becomes its moe ops where its last
// node stands, alias ops pass their input's value on, free ops vanish, and
// every other node becomes a moe.compute. Layer indices advance at each
// attention block and at each FFN/MoE block that follows another one.
//
//===----------------------------------------------------------------------===//

#include "ModelEmitter.h"
#include "OpCost.h"
#include "Patterns.h"

#include "moesaic/Dialect/Moe/MoeOps.h"
#include "moesaic/Model/ModelDesc.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <set>

using namespace mlir;
using namespace moesaic;
using namespace moesaic::onnxfe;

namespace {
llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

Type elemTypeOf(MLIRContext *ctx, int t) {
  Builder b(ctx);
  switch (t) {
  case kFloat16: return b.getF16Type();
  case kBFloat16: return b.getBF16Type();
  case kDouble: return b.getF64Type();
  case kInt64: case kUint64: return b.getI64Type();
  case kInt32: case kUint32: return b.getI32Type();
  case kInt16: case kUint16: return b.getIntegerType(16);
  case kInt8: case kUint8: return b.getIntegerType(8);
  case kInt4: case kUint4: return b.getIntegerType(4);
  case kBool: return b.getI1Type();
  case kFloat8E4M3FN: return b.getFloat8E4M3FNType();
  case kFloat8E4M3FNUZ: return b.getFloat8E4M3FNUZType();
  case kFloat8E5M2: return b.getFloat8E5M2Type();
  case kFloat8E5M2FNUZ: return b.getFloat8E5M2FNUZType();
  default: return b.getF32Type();
  }
}

std::string symbolFor(llvm::StringRef source, const OnnxImportOptions &o) {
  std::string base = o.modelName.empty()
                         ? llvm::sys::path::stem(source).str()
                         : o.modelName;
  std::string out;
  for (char c : base)
    out += std::isalnum((unsigned char)c) ? c : '_';
  if (out.empty() || std::isdigit((unsigned char)out[0]))
    out = "m_" + out;
  return out;
}

class Emitter {
public:
  Emitter(Graph &g, MLIRContext *ctx, const OnnxImportOptions &o,
          std::vector<std::string> &warnings)
      : g(g), ctx(ctx), options(o), b(ctx), rec(g, warnings),
        warnings(warnings) {}
  llvm::Error run(moe::ModelOp model);

private:
  llvm::Error findTokenInput();
  mlir::Value tokens(int valueId);
  int64_t nextLayer(bool attention);
  void emitCompute(int nodeIndex);
  void emitMoe(const MoeBlock &m);
  void emitAttention(const AttnBlock &a);
  void emitDense(const FfnBlock &f);
  Type typeOf(int valueId);
  RankedTensorType tokenType() {
    return RankedTensorType::get({ShapedType::kDynamic, hidden}, actType);
  }

  Graph &g;
  MLIRContext *ctx;
  const OnnxImportOptions &options;
  OpBuilder b;
  Recognition rec;
  std::vector<std::string> &warnings;
  std::vector<mlir::Value> mv;
  int tokenValue = -1, embeddingNode = -1;
  int64_t hidden = 0, staticTokens = 1;
  Type actType;
  int64_t layer = -1;
  bool layerHasAttention = false, layerHasFfn = false;
  std::vector<Operation *> computeSinceBlock;
  llvm::StringSet<> warnedOps;
};
} // namespace

llvm::Error Emitter::findTokenInput() {
  // The token embedding: Gather(table [V, H], integer ids input).
  for (size_t i = 0; i < g.nodes.size() && tokenValue < 0; ++i) {
    const Node &n = g.nodes[i];
    if (n.is("Gather") && isWeight(g, n.input(0)) &&
        g.value(n.input(0)).rank() == 2 && g.value(n.input(0)).lastDim() > 0 &&
        n.input(1) >= 0 && g.value(n.input(1)).isGraphInput &&
        !isFloatElem(g.value(n.input(1)).elemType)) {
      tokenValue = n.output(0);
      embeddingNode = (int)i;
    }
  }
  // Else hidden states given as input: [tokens, H] or [batch, seq, H]
  // (KV-cache inputs have rank 4), else any float input.
  for (int pass = 0; pass < 2 && tokenValue < 0; ++pass)
    for (int id : g.inputs) {
      const onnxfe::Value &v = g.value(id);
      if (!v.isParam && isFloatElem(v.elemType) && v.lastDim() > 0 &&
          (pass == 1 || v.rank() == 2 || v.rank() == 3)) {
        tokenValue = id;
        break;
      }
    }
  if (tokenValue < 0)
    return fail("no hidden-state input: no floating-point graph input with a "
                "static last dimension and no token embedding (Gather of a "
                "[vocab, hidden] weight)");
  const onnxfe::Value &t = g.value(tokenValue);
  hidden = embeddingNode >= 0 ? g.value(g.nodes[embeddingNode].input(0)).lastDim()
                              : t.lastDim();
  actType = elemTypeOf(ctx, embeddingNode >= 0
                                ? g.value(g.nodes[embeddingNode].input(0)).elemType
                                : t.elemType);
  if (t.hasShape && t.fullyStatic() && embeddingNode < 0) {
    for (size_t i = 0; i + 1 < t.dims.size(); ++i)
      staticTokens *= std::max<int64_t>(t.dims[i], 1);
  }
  return llvm::Error::success();
}

Type Emitter::typeOf(int id) {
  const onnxfe::Value &v = g.value(id);
  Type elem = elemTypeOf(ctx, v.elemType);
  if (!v.hasShape)
    return UnrankedTensorType::get(elem);
  if (v.rank() >= 2 && v.lastDim() == hidden && isFloatElem(v.elemType))
    return RankedTensorType::get({ShapedType::kDynamic, hidden}, elem);
  // Dimensions past what the moe dialect accepts (kMaxModelDim: flattened
  // activations, shapes computed from an untrusted file) are left dynamic:
  // the type is informational, costs come from the importer's own shapes
  // (fuzzer find: a 1.4e9 dimension failed the verifier as an importer bug).
  llvm::SmallVector<int64_t> dims;
  for (int64_t d : v.dims)
    dims.push_back(d < 0 || d > kMaxModelDim ? ShapedType::kDynamic : d);
  return RankedTensorType::get(dims, elem);
}

/// The hidden states in value `id` as tensor<?xHxT>, converting if needed.
mlir::Value Emitter::tokens(int id) {
  mlir::Value v = id >= 0 ? mv[id] : mlir::Value();
  if (v && v.getType() == tokenType())
    return v;
  llvm::SmallVector<mlir::Value> operands;
  if (v)
    operands.push_back(v);
  auto op = b.create<moe::ComputeOp>(
      b.getUnknownLoc(), tokenType(), b.getStringAttr(v ? "Reshape" : "Input"),
      operands, b.getI64IntegerAttr(layer), b.getF64FloatAttr(0),
      b.getI64IntegerAttr(0));
  return op.getOutput();
}

int64_t Emitter::nextLayer(bool attention) {
  if (layer < 0 || (attention && (layerHasAttention || layerHasFfn)) ||
      (!attention && layerHasFfn)) {
    ++layer;
    layerHasAttention = layerHasFfn = false;
  }
  (attention ? layerHasAttention : layerHasFfn) = true;
  computeSinceBlock.clear();
  return layer;
}

void Emitter::emitCompute(int index) {
  const Node &n = g.nodes[index];
  llvm::SmallVector<mlir::Value> operands;
  for (int in : n.inputs)
    if (in >= 0 && mv[in] && !llvm::is_contained(operands, mv[in]))
      operands.push_back(mv[in]);
  int out = n.output(0);
  if (out < 0)
    return;
  // Residual connections between hidden states.
  if (n.is("Add") && operands.size() == 2 &&
      operands[0].getType() == tokenType() &&
      operands[1].getType() == tokenType() && g.value(out).lastDim() == hidden) {
    mlir::Value sum = b.create<moe::AddOp>(b.getUnknownLoc(), operands[0], operands[1]);
    for (int o : n.outputs)
      if (o >= 0)
        mv[o] = sum;
    return;
  }
  OpCost cost = costOf(g, n, staticTokens);
  std::string kind = n.isStd() ? n.opType : n.domain + "." + n.opType;
  if (!cost.modelled && warnedOps.insert(kind).second)
    warnings.push_back(llvm::formatv(
        "op '{0}' has no cost rule; imported as generic compute at one FLOP "
        "per output element",
        kind));
  auto op = b.create<moe::ComputeOp>(
      NameLoc::get(b.getStringAttr(n.name)), typeOf(out), b.getStringAttr(kind),
      operands, b.getI64IntegerAttr(layer),
      b.getF64FloatAttr(cost.flopsPerToken),
      b.getI64IntegerAttr(cost.weightBytes));
  computeSinceBlock.push_back(op);
  for (int o : n.outputs)
    if (o >= 0)
      mv[o] = op.getOutput();
}

static moe::Activation activation(llvm::StringRef act) {
  return moe::symbolizeActivation(act).value_or(moe::Activation::swiglu);
}

void Emitter::emitMoe(const MoeBlock &m) {
  int64_t l = nextLayer(false);
  mlir::Value x = tokens(m.input);
  Location loc = NameLoc::get(b.getStringAttr(g.nodes[m.lastNode].name));
  auto routeType = moe::RouteType::get(ctx, m.experts, m.topK);
  auto router = b.create<moe::RouterOp>(
      loc, routeType, x, b.getI64IntegerAttr(l),
      moe::ScoringAttr::get(ctx, moe::symbolizeScoring(m.scoring)
                                     .value_or(moe::Scoring::softmax)),
      m.renormalize ? b.getUnitAttr() : UnitAttr(),
      m.groups ? b.getI64IntegerAttr(m.groups) : IntegerAttr(),
      m.groups ? b.getI64IntegerAttr(m.pick) : IntegerAttr(),
      m.scale != 1.0 ? b.getF64FloatAttr(m.scale) : FloatAttr(),
      m.capacity > 0 ? b.getF64FloatAttr(m.capacity) : FloatAttr());
  router->setAttr("onnx_form", b.getStringAttr(m.form));
  auto dispatchedType = moe::DispatchedType::get(ctx, m.experts, hidden, actType);
  mlir::Value d = b.create<moe::DispatchOp>(loc, dispatchedType, x, router.getRoute());
  Type weights = m.weightBits ? (Type)b.getIntegerType(m.weightBits)
                              : elemTypeOf(ctx, m.weightElem);
  mlir::Value e = b.create<moe::ExpertsOp>(
      loc, dispatchedType, d, b.getI64IntegerAttr(l), b.getI64IntegerAttr(m.ffn),
      moe::ActivationAttr::get(ctx, activation(m.act)), TypeAttr::get(weights),
      m.weightBits && m.blockSize ? b.getI64IntegerAttr(m.blockSize) : IntegerAttr(),
      m.bias ? b.getUnitAttr() : UnitAttr());
  mlir::Value y = b.create<moe::CombineOp>(loc, tokenType(), e, router.getRoute());
  if (m.shared) {
    mlir::Value s = b.create<moe::SharedExpertsOp>(
        loc, tokenType(), x, b.getI64IntegerAttr(l), b.getI64IntegerAttr(m.shared),
        b.getI64IntegerAttr(m.sharedFfn),
        moe::ActivationAttr::get(ctx, activation(m.act)),
        m.sharedGated ? b.getUnitAttr() : UnitAttr());
    y = b.create<moe::AddOp>(loc, y, s);
  }
  mv[m.output] = y;
}

void Emitter::emitAttention(const AttnBlock &a) {
  int64_t l = nextLayer(true);
  mlir::Value x = tokens(a.input);
  Location loc = NameLoc::get(b.getStringAttr(g.nodes[a.lastNode].name));
  auto op = b.create<moe::AttentionOp>(
      loc, tokenType(), x, b.getI64IntegerAttr(l), b.getI64IntegerAttr(a.heads),
      b.getI64IntegerAttr(a.kvHeads), b.getI64IntegerAttr(a.headDim),
      a.qLora ? b.getI64IntegerAttr(a.qLora) : IntegerAttr(),
      a.kvLora ? b.getI64IntegerAttr(a.kvLora) : IntegerAttr());
  op->setAttr("onnx_form", b.getStringAttr(a.form));
  mv[a.output] = op.getOutput();
}

void Emitter::emitDense(const FfnBlock &f) {
  int64_t l = nextLayer(false);
  mlir::Value x = tokens(f.input);
  Location loc = NameLoc::get(b.getStringAttr(g.nodes[f.lastNode].name));
  mv[f.output] = b.create<moe::DenseOp>(
      loc, tokenType(), x, b.getI64IntegerAttr(l), b.getI64IntegerAttr(f.ffn),
      moe::ActivationAttr::get(ctx, activation(f.act)));
}

llvm::Error Emitter::run(moe::ModelOp model) {
  if (llvm::Error e = findTokenInput())
    return e;
  rec.hidden = hidden;
  if (llvm::Error e = recognizeFusedMoe(rec))
    return e;
  recognizeAttention(rec);
  if (llvm::Error e = recognizeDecomposedMoe(rec))
    return e;
  attachSharedExperts(rec);
  recognizeDenseFfn(rec);
  // Expert weights are numbers: a string, complex or untyped weight would
  // be emitted as f32 and counted as 0 bytes, so the IR's params_bytes and
  // --model-summary would disagree.
  for (const MoeBlock &m : rec.moe)
    if (!m.weightBits && elemBytes(m.weightElem) == 0)
      return fail(llvm::formatv(
          "MoE layer at node '{0}': its expert weights have ONNX element "
          "type {1} ({2}), not a numeric type",
          g.nodes[m.lastNode].name, m.weightElem,
          m.weightElem == 8    ? "string"
          : m.weightElem == 14 ? "complex64"
          : m.weightElem == 15 ? "complex128"
          : m.weightElem == 0  ? "undefined"
                               : "unknown"));

  mv.assign(g.values.size(), mlir::Value());
  Block *body = new Block();
  model.getBody().push_back(body);
  b.setInsertionPointToStart(body);
  auto input = b.create<moe::InputOp>(
      NameLoc::get(b.getStringAttr(g.value(tokenValue).name)), tokenType(),
      b.getI64IntegerAttr(options.contextLength));
  mv[tokenValue] = input.getTokens();
  std::set<int> done;
  for (int i = 0, e = (int)g.nodes.size(); i < e; ++i) {
    const Node &n = g.nodes[i];
    if (i == embeddingNode)
      continue;
    if (int owner = rec.owner[i]; owner >= 0) {
      int kind = owner >> 20, idx = owner & ((1 << 20) - 1);
      if (kind == 0 && rec.moe[idx].lastNode == i)
        emitMoe(rec.moe[idx]);
      else if (kind == 1 && rec.attention[idx].lastNode == i)
        emitAttention(rec.attention[idx]);
      else if (kind == 2 && rec.dense[idx].lastNode == i)
        emitDense(rec.dense[idx]);
      continue;
    }
    if (isFreeOp(n)) {
      mlir::Value v;
      if (isAliasOp(n) && n.input(0) >= 0)
        v = mv[n.input(0)];
      for (int o : n.outputs)
        if (o >= 0 && !mv[o])
          mv[o] = v;
      continue;
    }
    emitCompute(i);
  }
  // Ops after the last layer's blocks (final norm, LM head) are outside
  // the layers.
  if (layer >= 0)
    for (Operation *op : computeSinceBlock)
      op->setAttr("layer", b.getI64IntegerAttr(-1));
  llvm::SmallVector<mlir::Value> outs;
  for (int id : g.outputs)
    if (mv[id] && !llvm::is_contained(outs, mv[id]))
      outs.push_back(mv[id]);
  b.create<moe::OutputOp>(b.getUnknownLoc(), outs);
  return llvm::Error::success();
}

llvm::Expected<OwningOpRef<ModuleOp>>
moesaic::onnxfe::emitModel(Graph &graph, llvm::StringRef sourceName,
                           const OnnxImportOptions &options,
                           MLIRContext *context) {
  context->loadDialect<moe::MoeDialect>();
  OpBuilder b(context);
  Location loc = FileLineColLoc::get(b.getStringAttr(sourceName), 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto model = b.create<moe::ModelOp>(
      loc, b.getStringAttr(symbolFor(sourceName, options)),
      b.getStringAttr(llvm::sys::path::filename(sourceName)),
      b.getI64IntegerAttr(graph.paramsBytes));
  std::vector<std::string> warnings = graph.warnings;
  Emitter emitter(graph, context, options, warnings);
  if (llvm::Error e = emitter.run(model))
    return std::move(e);
  if (!warnings.empty()) {
    llvm::SmallVector<Attribute> attrs;
    for (const std::string &w : warnings)
      attrs.push_back(b.getStringAttr(w));
    model->setAttr("warnings", b.getArrayAttr(attrs));
  }
  return std::move(module);
}
