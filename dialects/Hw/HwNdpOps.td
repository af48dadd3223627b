//===- HwNdpOps.td - GPU-NDP schedule ops ------------------*- tablegen -*-===//
//
// What the GPU-NDP lowering passes (dialects/Transforms/NdpPasses.td)
// decide for one consumer GPU plus NDP-capable DIMMs (docs/gpu-ndp.md):
// how VRAM is spent and which cache policy fills it (hw.ndp_vram_plan), how
// each expert is split across the NDP units and where the partial results
// are reduced (hw.ndp_tensor_split), and where experts that are not in
// VRAM run (hw.ndp_balance). They sit in a `hw.schedule` body.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_HW_NDP_OPS
#define MOESAIC_HW_NDP_OPS

include "Hw/HwDialect.td"
include "Hw/HwInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

def Hw_NdpCachePolicy : I32EnumAttr<"NdpCachePolicy",
    "how the GPU's VRAM expert cache is filled", [
    I32EnumAttrCase<"online", 0>, I32EnumAttrCase<"lru", 1>,
    I32EnumAttrCase<"profile", 2>]> {
  let cppNamespace = "::moesaic::hw";
}

def Hw_NdpColdPlacement : I32EnumAttr<"NdpColdPlacement",
    "where experts absent from VRAM are computed", [
    I32EnumAttrCase<"ndp_tp", 0, "ndp-tp">, I32EnumAttrCase<"ndp_ep", 1, "ndp-ep">,
    I32EnumAttrCase<"cpu", 2>, I32EnumAttrCase<"fetch", 3>]> {
  let cppNamespace = "::moesaic::hw";
}

def Hw_NdpVramPlanOp : Hw_Op<"ndp_vram_plan", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface, ["getEntryLayer"]>]> {
  let summary = "How the GPU's VRAM is spent, and the expert cache policy";
  let description = [{
    The GPU `gpu` holds the non-expert weights, the KV cache of `max_batch`
    tokens of `context` positions and a workspace; what is left,
    `expert_cache_bytes`, caches routed experts. `policy` says how:
    `online` (ndp-tp: dataset-free prefetching from a runtime histogram
    decayed by `decay` per step, residents kept unless a candidate scores
    `hysteresis` times more, loads sent in `chunk_bytes` pieces while PCIe
    is idle), `lru` (MoE-OnDemand: fetch on a miss, evict least recently
    used) or `profile` (Fiddler, MoNDE: the profiled hottest experts,
    fixed). Exported (outside the layers, index -1) as `"ndp_vram_plan":
    {"gpu", "vram_bytes", "non_expert_bytes", "kv_bytes", "workspace_bytes",
    "expert_cache_bytes", "policy", "max_batch", "context", "decay",
    "hysteresis", "chunk_bytes"}`.

    ```mlir
    hw.ndp_vram_plan on @gpu vram 17179869184 non_expert 1894252544 kv 1610612736 workspace 858993459 experts 12815994675 policy online {chunk_bytes = 4194304 : i64, context = 4096 : i64, decay = 9.000000e-01 : f64, hysteresis = 1.500000e+00 : f64, max_batch = 4 : i64}
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$gpu, I64Attr:$vram_bytes,
                       I64Attr:$non_expert_bytes, I64Attr:$kv_bytes,
                       I64Attr:$workspace_bytes, I64Attr:$expert_cache_bytes,
                       Hw_NdpCachePolicy:$policy, I64Attr:$max_batch,
                       I64Attr:$context, F64Attr:$decay, F64Attr:$hysteresis,
                       I64Attr:$chunk_bytes);
  let assemblyFormat = [{
    `on` $gpu `vram` $vram_bytes `non_expert` $non_expert_bytes `kv` $kv_bytes
    `workspace` $workspace_bytes `experts` $expert_cache_bytes
    `policy` $policy attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult NdpVramPlanOp::verify() {
      int64_t vram = getVramBytes(), nonExpert = getNonExpertBytes(),
              kv = getKvBytes(), work = getWorkspaceBytes(),
              experts = getExpertCacheBytes();
      double decay = getDecay().convertToDouble();
      if (vram <= 0)
        return emitOpError() << "vram must be positive";
      if (nonExpert < 0 || kv < 0 || work < 0 || experts < 0)
        return emitOpError() << "byte counts must not be negative";
      if (nonExpert + kv + work + experts > vram)
        return emitOpError() << "spends more than the " << vram
                             << " bytes of VRAM";
      // Written so that NaN fails too (it compares false with anything and
      // reached the schedule JSON as `nan`, which is not JSON).
      if (!(decay > 0 && decay <= 1))
        return emitOpError() << "decay must be in (0, 1]";
      double hysteresis = getHysteresis().convertToDouble();
      if (!(hysteresis >= 1 && hysteresis < INFINITY))
        return emitOpError() << "hysteresis must be a finite number of at "
                                "least 1";
      if ((int64_t)getChunkBytes() <= 0 || (int64_t)getMaxBatch() <= 0 ||
          (int64_t)getContext() <= 0)
        return emitOpError()
               << "chunk_bytes, max_batch and context must be positive";
      return ::mlir::success();
    }
    int64_t NdpVramPlanOp::getEntryLayer() { return -1; }
    void NdpVramPlanOp::exportTo(::llvm::json::Object &entry) {
      entry["ndp_vram_plan"] = ::llvm::json::Object{
          {"gpu", getGpu().str()},
          {"vram_bytes", (int64_t)getVramBytes()},
          {"non_expert_bytes", (int64_t)getNonExpertBytes()},
          {"kv_bytes", (int64_t)getKvBytes()},
          {"workspace_bytes", (int64_t)getWorkspaceBytes()},
          {"expert_cache_bytes", (int64_t)getExpertCacheBytes()},
          {"policy", stringifyNdpCachePolicy(getPolicy()).str()},
          {"max_batch", (int64_t)getMaxBatch()},
          {"context", (int64_t)getContext()},
          {"decay", getDecay().convertToDouble()},
          {"hysteresis", getHysteresis().convertToDouble()},
          {"chunk_bytes", (int64_t)getChunkBytes()}};
    }
  }];
}

def Hw_NdpTensorSplitOp : Hw_Op<"ndp_tensor_split", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface>]> {
  let summary = "Every expert of a layer split across all NDP units";
  let description = [{
    Tensor parallelism inside each routed expert of MoE layer `layer`: its
    FFN dimension is cut into `rows[i]` rows held (and computed in place,
    at the DIMM's internal bandwidth) by NDP unit `units[i]`, so every
    unit works on every activated expert and none is hot because its
    expert is. Each unit's partial result (one hidden vector per token) is
    reduced on `reduce_on`, the cheapest of the host CPU, the GPU and an
    NDP unit. Exported as `"ndp_tensor_split": {"units": [...], "rows":
    [...], "reduce_on": name}`.

    ```mlir
    hw.ndp_tensor_split layer 0 across [@ndp0, @ndp1] rows [384, 384] reduce_on @host
    ```
  }];
  let arguments = (ins I64Attr:$layer, FlatSymbolRefArrayAttr:$units,
                       DenseI64ArrayAttr:$rows, FlatSymbolRefAttr:$reduce_on);
  let assemblyFormat = [{
    `layer` $layer `across` $units `rows` $rows `reduce_on` $reduce_on attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult NdpTensorSplitOp::verify() {
      if ((int64_t)getLayer() < 0)
        return emitOpError() << "layer must be a layer index";
      if (getUnits().empty())
        return emitOpError() << "needs at least one NDP unit";
      if ((int64_t)getUnits().size() != (int64_t)getRows().size())
        return emitOpError() << "has " << getRows().size() << " row counts for "
                             << getUnits().size() << " units";
      for (int64_t r : getRows())
        if (r < 0)
          return emitOpError() << "row counts must not be negative";
      return ::mlir::success();
    }
    void NdpTensorSplitOp::exportTo(::llvm::json::Object &entry) {
      ::llvm::json::Array units, rows;
      for (::mlir::Attribute u : getUnits())
        units.push_back(::llvm::cast<::mlir::FlatSymbolRefAttr>(u).getValue().str());
      for (int64_t r : getRows())
        rows.push_back(r);
      entry["ndp_tensor_split"] = ::llvm::json::Object{
          {"units", std::move(units)}, {"rows", std::move(rows)},
          {"reduce_on", getReduceOn().str()}};
    }
  }];
}

def Hw_NdpBalanceOp : Hw_Op<"ndp_balance", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface, ["getEntryLayer"]>]> {
  let summary = "Where experts absent from VRAM run, and the balancer's grain";
  let description = [{
    The runtime's per-batch policy. `cold` names where an activated expert
    that is not in VRAM is computed: `ndp-tp` (its tensor split over all NDP
    units; the balancer also moves slices of resident experts between the
    GPU and the units so both finish together, `granularity` slices per
    expert), `ndp-ep` (whole expert on the unit holding it, MoNDE), `cpu`
    (the host CPU where it lives, Fiddler) or `fetch` (over PCIe to the
    GPU, MoE-OnDemand). Exported (index -1) as `"ndp_balance": {"cold",
    "granularity"}`.

    ```mlir
    hw.ndp_balance cold "ndp-tp" granularity 4
    ```
  }];
  let arguments = (ins Hw_NdpColdPlacement:$cold, I64Attr:$granularity);
  let assemblyFormat = "`cold` $cold `granularity` $granularity attr-dict";
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult NdpBalanceOp::verify() {
      int64_t g = getGranularity();
      if (g < 1 || g > 64)
        return emitOpError() << "granularity must be in [1, 64]";
      return ::mlir::success();
    }
    int64_t NdpBalanceOp::getEntryLayer() { return -1; }
    void NdpBalanceOp::exportTo(::llvm::json::Object &entry) {
      entry["ndp_balance"] = ::llvm::json::Object{
          {"cold", stringifyNdpColdPlacement(getCold()).str()},
          {"granularity", (int64_t)getGranularity()}};
    }
  }];
}

#endif // MOESAIC_HW_NDP_OPS
