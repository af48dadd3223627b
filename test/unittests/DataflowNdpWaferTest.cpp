//===- DataflowNdpWaferTest.cpp - ndp-tp / er-mapping programs vs direct ---===//
//
// The when/where programs of ndp-tp (moe-df-lower-ndp-tp) and of
// er-mapping's migrations (moe-df-lower-wafer), exported to JSON and run by
// their interpreters, decide exactly as the direct runtime code:
//  - ndp-tp: per random batch the same per-expert loads, the same balancer
//    input (active experts, which are in VRAM) and the same GPU/NDP slice
//    split as ndp::layerWork + ndp::balanceLayer; over a sequence of
//    batches the prefetcher fed by the program's loads makes the same
//    evictions, loads and chunks as the one fed by the direct loads;
//  - er-mapping: over random load sequences the same moves (trigger and
//    swaps) as NIBalancer::observe and the same chunk placements as
//    NIBalancer::fillSlot, on meshes whose experts split into 1, 2, 3 or 4
//    shards.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Df/DfRuntimePrograms.h"
#include "moesaic/Runtime/Dataflow/NdpTpInterpreter.h"
#include "moesaic/Runtime/Dataflow/WaferMigrationInterpreter.h"
#include "moesaic/Runtime/Ndp/ExpertCache.h"
#include "moesaic/Runtime/Wafer/ERMapping.h"
#include "moesaic/Target/HardwareFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "gtest/gtest.h"

#include <functional>
#include <random>

using namespace moesaic;
using namespace moesaic::dataflow;

namespace {

/// A program built by `build`, verified, written as JSON text and loaded
/// back, as a controller would receive it.
Program loadProgram(mlir::MLIRContext &ctx,
                    const std::function<df::ProgramOp(mlir::OpBuilder &)> &build) {
  ctx.loadDialect<df::DfDialect>();
  mlir::OpBuilder b(&ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToEnd(module->getBody());
  df::ProgramOp program = build(b);
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*module)));
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(df::programToJson(program));
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  EXPECT_TRUE((bool)parsed);
  llvm::Expected<Program> p = programFromJson(*parsed->getAsObject());
  EXPECT_TRUE((bool)p) << llvm::toString(p.takeError());
  return std::move(*p);
}

/// Random gating: `tokens` x `topK` distinct picks, skewed towards low
/// expert ids when `skew` > 0, about `drop` of the picks dropped (-1).
std::vector<int32_t> randomGating(std::mt19937 &rng, unsigned tokens,
                                  unsigned topK, int64_t experts, double skew,
                                  double drop) {
  std::vector<int32_t> out;
  std::uniform_real_distribution<double> u(0, 1);
  for (unsigned t = 0; t < tokens; ++t) {
    std::vector<int32_t> row;
    while (row.size() < topK) {
      int32_t e = (int32_t)(std::pow(u(rng), 1.0 + skew) * experts);
      e = std::min<int32_t>(e, (int32_t)experts - 1);
      if ((int64_t)row.size() >= experts ||
          std::find(row.begin(), row.end(), e) == row.end())
        row.push_back(u(rng) < drop ? -1 : e);
    }
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

std::vector<int32_t> loadOf(const std::vector<int32_t> &gating,
                            int64_t experts) {
  std::vector<int32_t> load(experts, 0);
  for (int32_t e : gating)
    if (e >= 0 && e < experts)
      ++load[e];
  return load;
}

ndp::BalanceCosts randomCosts(std::mt19937 &rng, unsigned units, int g) {
  std::uniform_real_distribution<double> u(0, 1);
  ndp::BalanceCosts c;
  c.gpuGBps = 200 + 800 * u(rng);
  c.gpuTflops = 20 + 150 * u(rng);
  double sum = 0;
  for (unsigned i = 0; i < units; ++i) {
    c.unitGBps.push_back(u(rng) < 0.5 ? 76.8 : 38.4);
    c.unitTflops.push_back(0.5);
    c.unitFraction.push_back(c.unitGBps.back());
    sum += c.unitGBps.back();
  }
  for (double &f : c.unitFraction)
    f /= sum;
  c.ndpFixedUs = 50 * u(rng);
  c.gpuFixedUs = u(rng) < 0.5 ? 0.0 : 30 * u(rng);
  c.granularity = g;
  return c;
}

void expectSamePieces(const std::vector<ndp::SlicePiece> &a,
                      const std::vector<ndp::SlicePiece> &b,
                      const std::string &where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].expert, b[i].expert) << where << " piece " << i;
    EXPECT_EQ(a[i].sliceBegin, b[i].sliceBegin) << where << " piece " << i;
    EXPECT_EQ(a[i].sliceEnd, b[i].sliceEnd) << where << " piece " << i;
  }
}

} // namespace

TEST(DataflowNdpTp, InterpreterAgreesWithBalancerOnRandomGatings) {
  mlir::MLIRContext ctx;
  std::mt19937 rng(1123);
  struct Case {
    int64_t experts;
    int g;
    unsigned units, topK, maxTokens;
  };
  const Case cases[] = {{1, 1, 1, 1, 4},   {4, 2, 2, 1, 4},  {8, 4, 8, 2, 4},
                        {16, 3, 5, 4, 8},  {60, 4, 8, 4, 4}, {64, 8, 8, 6, 4},
                        {128, 4, 8, 8, 4}, {32, 1, 3, 2, 16}};
  int64_t batches = 0, splitExperts = 0;
  for (const Case &c : cases) {
    Program prog = loadProgram(ctx, [&](mlir::OpBuilder &b) {
      return df::buildNdpTpProgram(b, b.getUnknownLoc(), 3, c.experts, c.g,
                                   c.units);
    });
    auto in = NdpTpInterpreter::create(std::move(prog), c.experts, c.g, c.units);
    ASSERT_TRUE((bool)in) << llvm::toString(in.takeError());
    std::uniform_real_distribution<double> u(0, 1);
    for (int trial = 0; trial < 60; ++trial) {
      unsigned tokens = 1 + rng() % c.maxTokens;
      unsigned topK = std::min<unsigned>(c.topK, (unsigned)c.experts);
      std::vector<int32_t> gating = randomGating(
          rng, tokens, topK, c.experts, trial % 3 ? 1.5 : 0.0, trial % 5 ? 0.0 : 0.2);
      std::vector<uint8_t> ready(c.experts);
      double pReady = u(rng);
      for (uint8_t &r : ready)
        r = u(rng) < pReady;
      ndp::BalanceCosts costs = randomCosts(rng, c.units, c.g);
      double bytes = 1e6 + 5e7 * u(rng), flops = 1e6 + 1e8 * u(rng);
      std::string where = "experts " + std::to_string(c.experts) + " trial " +
                          std::to_string(trial);

      std::vector<int32_t> load = loadOf(gating, c.experts);
      std::vector<ndp::ExpertWork> works =
          ndp::layerWork(load, bytes, flops, ready);
      ndp::BalancePlan want = ndp::balanceLayer(works, costs);
      const NdpTpDecision &got =
          (*in)->decide(tokens, gating.data(), topK, ready, bytes, flops, costs);

      EXPECT_EQ(got.load, load) << where;
      ASSERT_EQ(got.works.size(), works.size()) << where;
      for (size_t i = 0; i < works.size(); ++i) {
        EXPECT_EQ(got.works[i].expert, works[i].expert) << where;
        EXPECT_EQ(got.works[i].tokens, works[i].tokens) << where;
        EXPECT_EQ(got.works[i].onGpu, works[i].onGpu) << where;
        EXPECT_EQ(got.works[i].flops, works[i].flops) << where;
      }
      expectSamePieces(want.gpu, got.plan.gpu, where + " gpu");
      expectSamePieces(want.ndp, got.plan.ndp, where + " ndp");
      EXPECT_EQ(want.makespanUs(), got.plan.makespanUs()) << where;
      // Activation order: first appearance in the gating.
      std::vector<int32_t> order;
      for (int32_t e : gating)
        if (e >= 0 && std::find(order.begin(), order.end(), e) == order.end())
          order.push_back(e);
      EXPECT_EQ(got.activation, order) << where;
      // Tensor parallelism: every unit computes every NDP slice.
      int64_t ndpSlices = 0;
      for (const ndp::SlicePiece &p : want.ndp)
        ndpSlices += p.sliceEnd - p.sliceBegin;
      EXPECT_EQ(got.unitSlices, std::vector<int64_t>(c.units, ndpSlices))
          << where;
      for (const ndp::SlicePiece &p : want.gpu)
        splitExperts += p.sliceEnd - p.sliceBegin < c.g;
      ++batches;
    }
  }
  EXPECT_EQ(batches, 480);
  EXPECT_GT(splitExperts, 0) << "no batch split an expert between the sides";
}

TEST(DataflowNdpTp, PrefetcherFedByTheProgramDecidesTheSame) {
  // Two layers, a drifting skewed trace: the prefetcher that observes the
  // program's per-expert token counts and whose residency feeds the
  // program's `vram` ports makes the same decisions, step by step, as the
  // one fed directly.
  mlir::MLIRContext ctx;
  const int64_t experts = 16;
  const int g = 4;
  const unsigned units = 4, topK = 2;
  std::vector<std::unique_ptr<NdpTpInterpreter>> in;
  for (int l = 0; l < 2; ++l) {
    Program prog = loadProgram(ctx, [&](mlir::OpBuilder &b) {
      return df::buildNdpTpProgram(b, b.getUnknownLoc(), l, experts, g, units);
    });
    auto i = NdpTpInterpreter::create(std::move(prog), experts, g, units);
    ASSERT_TRUE((bool)i);
    in.push_back(std::move(*i));
  }
  ndp::PrefetchConfig pc;
  pc.budgetBytes = 5 * 1000;
  ndp::OnlinePrefetcher direct({experts, experts}, {1000, 1000}, pc),
      viaProgram({experts, experts}, {1000, 1000}, pc);
  std::mt19937 rng(7);
  ndp::BalanceCosts costs = randomCosts(rng, units, g);
  int64_t loads = 0;
  for (int step = 0; step < 60; ++step) {
    for (uint32_t l = 0; l < 2; ++l) {
      std::vector<int32_t> gating =
          randomGating(rng, 4, topK, experts, 2.0, 0.0);
      // Popularity drifts: rotate the ids every 20 steps.
      for (int32_t &e : gating)
        e = (e + 5 * (step / 20)) % experts;
      std::vector<int32_t> load = loadOf(gating, experts);
      std::vector<uint8_t> rd(experts), rp(experts);
      for (int32_t e = 0; e < experts; ++e) {
        rd[e] = direct.ready({l, e});
        rp[e] = viaProgram.ready({l, e});
      }
      ASSERT_EQ(rd, rp) << "step " << step << " layer " << l;
      ndp::BalancePlan want = ndp::balanceLayer(
          ndp::layerWork(load, 1000, 1e6, rd), costs);
      const NdpTpDecision &got =
          in[l]->decide(4, gating.data(), topK, rp, 1000, 1e6, costs);
      expectSamePieces(want.gpu, got.plan.gpu, "gpu");
      direct.observe(l, load);
      viaProgram.observe(l, got.load);
      std::vector<ndp::OnlinePrefetcher::Chunk> a, b;
      direct.drain(700, 400, a);
      viaProgram.drain(700, 400, b);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].key, b[i].key);
        EXPECT_EQ(a[i].bytes, b[i].bytes);
        EXPECT_EQ(a[i].last, b[i].last);
        loads += a[i].last;
      }
    }
    std::vector<ndp::ExpertKey> ea, eb;
    direct.replan(&ea);
    viaProgram.replan(&eb);
    EXPECT_EQ(ea, eb) << "step " << step;
    EXPECT_EQ(direct.set().residents(), viaProgram.set().residents());
  }
  EXPECT_GT(loads, 0) << "the trace never made the prefetcher load";
}

TEST(DataflowNdpTp, RejectsAProgramOfAnotherShape) {
  mlir::MLIRContext ctx;
  Program prog = loadProgram(ctx, [&](mlir::OpBuilder &b) {
    return df::buildNdpTpProgram(b, b.getUnknownLoc(), 0, 8, 4, 2);
  });
  auto in = NdpTpInterpreter::create(std::move(prog), 8, 4, 3);
  ASSERT_FALSE((bool)in);
  std::string msg = llvm::toString(in.takeError());
  EXPECT_NE(msg.find("'ndptp.layer0' is not an ndp-tp layer program"),
            std::string::npos)
      << msg;
}

namespace {

using namespace moesaic::wafer;

ModelDesc waferModel(int64_t experts, int64_t layers) {
  ModelDesc m;
  m.name = "test";
  m.numLayers = layers;
  m.hiddenSize = 256;
  for (int64_t l = 0; l < layers; ++l) {
    MoeLayerDesc d;
    d.index = l;
    d.numExperts = experts;
    d.topK = 2;
    d.hiddenSize = 256;
    d.expertFfnSize = 512;
    m.moeLayers.push_back(d);
  }
  return m;
}

struct WaferCase {
  const char *hw;
  int64_t experts;
  int64_t expectShards;
};

} // namespace

TEST(DataflowWafer, InterpreterAgreesWithNIBalancerOnRandomLoads) {
  mlir::MLIRContext ctx;
  std::mt19937 rng(20261123);
  std::uniform_real_distribution<double> u(0, 1);
  const std::string wafer4 =
      std::string(MOESAIC_SOURCE_DIR) + "/test/Wafer/Inputs/wafer-4x4.json";
  const WaferCase cases[] = {{"wafer-8x8", 128, 1}, {"wafer-8x8", 64, 1},
                             {"wafer-8x8", 32, 2},  {"wafer-8x8", 16, 4},
                             {"4x4", 5, 3},         {"4x4", 16, 1},
                             {"4x4", 48, 1},        {"wafer-8x8", 20, 3}};
  int64_t moves = 0, chunks = 0, forcedChunks = 0, triggers = 0, configs = 0;
  for (const WaferCase &wc : cases) {
    llvm::Expected<SystemModel> sys =
        loadHardware(std::string(wc.hw) == "4x4" ? wafer4 : wc.hw);
    ASSERT_TRUE((bool)sys) << llvm::toString(sys.takeError());
    const int64_t layers = 2;
    ModelDesc model = waferModel(wc.experts, layers);
    llvm::Expected<WaferShape> shape = chooseShape(model, *sys, 4);
    ASSERT_TRUE((bool)shape) << llvm::toString(shape.takeError());
    ASSERT_EQ(shape->shards, wc.expectShards) << wc.hw << " " << wc.experts;
    WaferLayout layout = rowMajorLayout(*sys, *shape, wc.experts);
    for (int rep = 0; rep < 3; ++rep, ++configs) {
      BalancerConfig cfg;
      cfg.window = 1 + rng() % 4;
      cfg.cooldown = 1 + rng() % 4;
      cfg.trigger = 1.05 + 0.5 * u(rng);
      cfg.maxSwaps = 1 + rng() % 4;
      cfg.chunks = 1 + rng() % 8;
      cfg.coldFraction = 0.3 + 0.5 * u(rng);
      cfg.horizon = 2 + rng() % 6;
      std::vector<double> unitBytes(layers, 2.0e6 / double(shape->shards));
      NIBalancer direct(cfg, *sys, layout, layers, unitBytes);
      std::vector<Program> trig;
      for (int64_t l = 0; l < layers; ++l)
        trig.push_back(loadProgram(ctx, [&](mlir::OpBuilder &b) {
          return df::buildWaferTriggerProgram(b, b.getUnknownLoc(), l,
                                              wc.experts, shape->shards,
                                              shape->dies, cfg.window);
        }));
      Program staging = loadProgram(ctx, [&](mlir::OpBuilder &b) {
        return df::buildWaferStagingProgram(b, b.getUnknownLoc(),
                                            (int64_t)sys->links.size());
      });
      auto in = WaferMigrationInterpreter::create(
          std::move(trig), std::move(staging), cfg, *sys, layout, unitBytes);
      ASSERT_TRUE((bool)in) << llvm::toString(in.takeError());
      NIBalancer &viaProgram = (*in)->balancer();
      std::string where = std::string(wc.hw) + " experts " +
                          std::to_string(wc.experts) + " rep " +
                          std::to_string(rep);
      for (int64_t step = 0; step < 24; ++step) {
        EXPECT_EQ(direct.forceExpired(step), viaProgram.forceExpired(step));
        for (int64_t l = 0; l < layers; ++l)
          for (SlotPhase ph : {SlotPhase::Ring, SlotPhase::Moe}) {
            std::vector<double> linkLoad(sys->links.size());
            for (double &b : linkLoad)
              b = u(rng) < 0.2 ? 0.0 : 1e5 * std::pow(u(rng), 3);
            double durationUs = 0.5 + 40 * u(rng);
            // Memories idle over random parts of the slot.
            std::vector<MemoryWindow> mem(sys->numDevices());
            for (MemoryWindow &m : mem) {
              m.fromUs = durationUs * u(rng);
              m.untilUs = m.fromUs + durationUs * u(rng);
            }
            SlotWindow slot{linkLoad, durationUs, mem};
            // Moves past the horizon go first, the same for both (the
            // programs do not express them), and narrow the window.
            SlotWindow other = slot;
            std::vector<int64_t> fa = direct.fillForced(step, l, ph, slot);
            std::vector<int64_t> fb =
                viaProgram.fillForced(step, l, ph, other);
            EXPECT_EQ(fa, fb) << where << " step " << step;
            forcedChunks += (int64_t)fa.size();
            std::vector<int64_t> a = direct.fillSlot(step, l, ph, slot);
            llvm::Expected<std::vector<int64_t>> b =
                (*in)->fillSlot(step, l, ph, other);
            ASSERT_TRUE((bool)b) << llvm::toString(b.takeError());
            EXPECT_EQ(a, *b) << where << " step " << step;
            chunks += (int64_t)a.size();
          }
        // Skewed, drifting gating; the hot experts move every 8 steps.
        std::vector<std::vector<int32_t>> gatings;
        std::vector<std::vector<int32_t>> loads;
        std::vector<LayerGating> lg;
        unsigned tokens = 4 + rng() % 60;
        for (int64_t l = 0; l < layers; ++l) {
          std::vector<int32_t> g = randomGating(
              rng, tokens, 2, wc.experts, 1.0 + 2.0 * u(rng), 0.05);
          for (int32_t &e : g)
            if (e >= 0)
              e = (int32_t)((e + 7 * (step / 8) + l) % wc.experts);
          loads.push_back(loadOf(g, wc.experts));
          gatings.push_back(std::move(g));
        }
        for (const auto &g : gatings)
          lg.push_back({g.data(), tokens, 2});
        std::vector<int64_t> a = direct.observe(step, loads);
        std::vector<int64_t> b = (*in)->observe(step, lg);
        EXPECT_EQ(a, b) << where << " step " << step;
        for (int64_t l = 0; l < layers; ++l) {
          triggers += (*in)->triggered(l);
          EXPECT_EQ(direct.decided(l), viaProgram.decided(l)) << where;
          EXPECT_EQ(direct.placement(l), viaProgram.placement(l)) << where;
        }
      }
      ASSERT_EQ(direct.moves().size(), viaProgram.moves().size()) << where;
      for (size_t m = 0; m < direct.moves().size(); ++m) {
        const Move &x = direct.moves()[m], &y = viaProgram.moves()[m];
        EXPECT_EQ(x.moeLayer, y.moeLayer);
        EXPECT_EQ(x.unit, y.unit);
        EXPECT_EQ(x.from, y.from);
        EXPECT_EQ(x.to, y.to);
        EXPECT_EQ(x.decidedStep, y.decidedStep);
      }
      ASSERT_EQ(direct.chunks().size(), viaProgram.chunks().size()) << where;
      for (size_t c = 0; c < direct.chunks().size(); ++c) {
        const Chunk &x = direct.chunks()[c], &y = viaProgram.chunks()[c];
        EXPECT_EQ(x.move, y.move);
        EXPECT_EQ(x.step, y.step);
        EXPECT_EQ(x.moeLayer, y.moeLayer);
        EXPECT_EQ(x.phase, y.phase);
        EXPECT_EQ(x.flushed, y.flushed);
      }
      EXPECT_EQ(direct.exposedUs(), viaProgram.exposedUs());
      EXPECT_EQ(direct.decisions(), viaProgram.decisions());
      moves += (int64_t)direct.moves().size();
    }
  }
  EXPECT_EQ(configs, 24);
  EXPECT_GT(moves, 0) << "no random load triggered a migration";
  EXPECT_GT(chunks, 0) << "no chunk was staged in a slot";
  EXPECT_GT(forcedChunks, 0) << "no move reached the horizon";
  EXPECT_GT(triggers, 0);
}

TEST(DataflowWafer, ChunksOfDifferentSizesAreAClearError) {
  mlir::MLIRContext ctx;
  llvm::Expected<SystemModel> sys = loadHardware(
      std::string(MOESAIC_SOURCE_DIR) + "/test/Wafer/Inputs/wafer-4x4.json");
  ASSERT_TRUE((bool)sys);
  // Two units per die, so moving one off the hot die helps.
  ModelDesc model = waferModel(32, 2);
  WaferShape shape = *chooseShape(model, *sys, 4);
  WaferLayout layout = rowMajorLayout(*sys, shape, 32);
  ASSERT_EQ(shape.unitsPerDie, 2);
  BalancerConfig cfg;
  cfg.window = 1;
  cfg.cooldown = 1;
  std::vector<Program> trig;
  for (int64_t l = 0; l < 2; ++l)
    trig.push_back(loadProgram(ctx, [&](mlir::OpBuilder &b) {
      return df::buildWaferTriggerProgram(b, b.getUnknownLoc(), l, 32, 1,
                                          shape.dies, 1);
    }));
  Program staging = loadProgram(ctx, [&](mlir::OpBuilder &b) {
    return df::buildWaferStagingProgram(b, b.getUnknownLoc(),
                                        (int64_t)sys->links.size());
  });
  // Layers whose expert units differ in size: their moves' chunks differ.
  auto in = WaferMigrationInterpreter::create(std::move(trig), std::move(staging),
                                              cfg, *sys, layout, {1e6, 3e6});
  ASSERT_TRUE((bool)in);
  // Every token picks expert 0 and the other expert on its die.
  int32_t mate = 1;
  while (layout.unitDie[mate] != layout.unitDie[0])
    ++mate;
  std::vector<int32_t> hot;
  for (int t = 0; t < 32; ++t)
    hot.insert(hot.end(), {0, mate});
  std::vector<LayerGating> g{{hot.data(), 32, 2}, {hot.data(), 32, 2}};
  ASSERT_FALSE((*in)->observe(0, g).empty());
  llvm::Expected<std::vector<int64_t>> r = (*in)->fillSlot(
      1, 0, SlotPhase::Ring,
      {std::vector<double>(sys->links.size(), 0.0), 50,
       std::vector<MemoryWindow>(sys->numDevices(), {0.0, 50.0})});
  ASSERT_FALSE((bool)r);
  std::string msg = llvm::toString(r.takeError());
  EXPECT_NE(msg.find("link capacities are counted in chunks of one size"),
            std::string::npos)
      << msg;
}

TEST(DataflowWafer, TriggerFiresExactlyWhereTheBalancerDoes) {
  // One die's load swept across trigger x mean: the die's threshold `when`
  // fires for exactly the loads the balancer's own comparison triggers on,
  // with one and with three shards per expert and several triggers.
  mlir::MLIRContext ctx;
  llvm::Expected<SystemModel> sys = loadHardware(
      std::string(MOESAIC_SOURCE_DIR) + "/test/Wafer/Inputs/wafer-4x4.json");
  ASSERT_TRUE((bool)sys);
  int64_t flips = 0;
  for (int64_t experts : {16, 5})
    for (double trigger : {1.05, 1.25, 1.3, 1.5, 2.0}) {
      ModelDesc model = waferModel(experts, 1);
      WaferShape shape = *chooseShape(model, *sys, 4);
      WaferLayout layout = rowMajorLayout(*sys, shape, experts);
      BalancerConfig cfg;
      cfg.window = 1;
      cfg.trigger = trigger;
      bool last = false;
      for (int32_t k = 0; k <= 60; ++k) {
        // Expert 0 gets k tokens, every other expert 4.
        std::vector<int32_t> g(k, 0);
        for (int32_t e = 1; e < experts; ++e)
          g.insert(g.end(), 4, e);
        NIBalancer direct(cfg, *sys, layout, 1, {1e6});
        direct.record(0, loadOf(g, experts));
        bool want = direct.triggered(0, direct.windowUnitLoad(0));
        std::vector<Program> trig{loadProgram(ctx, [&](mlir::OpBuilder &b) {
          return df::buildWaferTriggerProgram(b, b.getUnknownLoc(), 0, experts,
                                              shape.shards, shape.dies, 1);
        })};
        Program staging = loadProgram(ctx, [&](mlir::OpBuilder &b) {
          return df::buildWaferStagingProgram(b, b.getUnknownLoc(),
                                              (int64_t)sys->links.size());
        });
        auto in = WaferMigrationInterpreter::create(
            std::move(trig), std::move(staging), cfg, *sys, layout, {1e6});
        ASSERT_TRUE((bool)in);
        (*in)->observe(0, {LayerGating{g.data(), (unsigned)g.size(), 1}});
        EXPECT_EQ((*in)->triggered(0), want)
            << experts << " experts, trigger " << trigger << ", load " << k;
        flips += k > 0 && want != last;
        last = want;
      }
    }
  // Every sweep crosses the boundary at least once (trigger 1.05 also at
  // k = 0..3, where the other dies are the busiest).
  EXPECT_GE(flips, 10);
}

TEST(DataflowControls, LoaderChecksTheRunTimeControls) {
  auto load = [](const char *text) {
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
    EXPECT_TRUE((bool)v);
    return programFromJson(*v->getAsObject());
  };
  auto error = [&](const char *text) {
    llvm::Expected<Program> p = load(text);
    return p ? std::string() : llvm::toString(p.takeError());
  };
  EXPECT_NE(error(R"({"name": "r", "nodes": [
      {"op": "input", "port": "a"}, {"op": "input", "port": "b"},
      {"op": "where", "inputs": [[0, 0], [1, 0]], "outputs": 2, "control": "route"},
      {"op": "output", "port": "o", "inputs": [[2, 0], [2, 1]]}]})")
                .find("node 2: route where needs exactly one input"),
            std::string::npos);
  EXPECT_NE(error(R"({"name": "t", "nodes": [
      {"op": "input", "port": "a"},
      {"op": "when", "inputs": [[0, 0]], "threshold": 1, "reset": "none", "control": "mean"},
      {"op": "output", "port": "o", "inputs": [[1, 0]]}]})")
                .find("node 1: unknown when control \"mean\""),
            std::string::npos);
  // A select where sends each input to the one output the run chose; a
  // threshold when fires at the run's threshold, never below its static one.
  llvm::Expected<Program> p = load(R"({"name": "s", "nodes": [
      {"op": "input", "port": "a"}, {"op": "input", "port": "b"},
      {"op": "where", "inputs": [[0, 0], [1, 0]], "outputs": 3, "control": "select"},
      {"op": "when", "inputs": [[2, 0], [2, 1], [2, 2]], "threshold": 2, "reset": "none", "control": "threshold"},
      {"op": "output", "port": "o", "inputs": [[3, 0]]}]})");
  ASSERT_TRUE((bool)p) << llvm::toString(p.takeError());
  Executor x(*p);
  x.setSelect(2, 0, 2);
  x.setSelect(2, 1, -1);
  x.setThreshold(3, 1); // below the static 2: stays 2
  x.push(p->valueBase[0], 0);
  x.push(p->valueBase[1], 0);
  EXPECT_EQ(x.count(p->valueBase[2] + 2), 1u);
  EXPECT_EQ(x.count(p->valueBase[2] + 0), 0u);
  EXPECT_FALSE(x.hasFired(3));
  x.push(p->valueBase[0], 0);
  EXPECT_TRUE(x.hasFired(3));
  x.reset();
  x.setThreshold(3, 3);
  for (int i = 0; i < 2; ++i)
    x.push(p->valueBase[0], 0);
  EXPECT_FALSE(x.hasFired(3));
  x.push(p->valueBase[0], 0);
  EXPECT_TRUE(x.hasFired(3));
}
