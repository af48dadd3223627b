//===- PerfTestUtil.h - Small systems and models for the perf tests -------===//

#ifndef MOESAIC_TEST_PERFTESTUTIL_H
#define MOESAIC_TEST_PERFTESTUTIL_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Perf/TaskGraph.h"
#include "moesaic/Target/SystemModel.h"

#include <random>
#include <string>

namespace moesaic::testutil {

/// A device computing `tflops` bf16 with `gbps` of off-chip bandwidth.
inline Device device(const std::string &name, double tflops = 10,
                     double gbps = 100, int64_t onchip = 1 << 20,
                     int64_t offchip = int64_t(1) << 30) {
  Device d;
  d.name = name;
  d.peakTflops["bf16"] = tflops;
  d.onchipBytes = onchip;
  d.offchipBytes = offchip;
  d.offchipGBps = gbps;
  return d;
}

/// Gives `t` random work of one kind (0 compute, 1 load, 2 transfer, any
/// other a barrier), for the simulator's random-graph tests.
inline void setRandomWork(perf::Task &t, std::mt19937_64 &rng, unsigned kind) {
  using perf::TaskKind;
  switch (kind) {
  case 0:
    t.kind = TaskKind::Compute;
    t.flops = 1e6 * (1 + rng() % 100);
    t.bytes = rng() % 2 ? 1e4 * (rng() % 100) : 0;
    t.tflops = 10;
    break;
  case 1:
    t.kind = TaskKind::Load;
    t.bytes = 1e4 * (1 + rng() % 100);
    break;
  case 2:
    t.kind = TaskKind::Transfer;
    t.bytes = 1e4 * (1 + rng() % 100);
    break;
  default:
    t.kind = TaskKind::Barrier;
  }
}

/// a - b - c with explicit bidirectional links: a-b 100 GB/s 1000 ns,
/// b-c 50 GB/s 1000 ns.
inline SystemModel line3() {
  SystemModel s;
  s.name = "line3";
  unsigned a = s.addDevice(device("a")), b = s.addDevice(device("b")),
           c = s.addDevice(device("c"));
  s.linkDecls.push_back({a, b, 100, 1000, true, "d2d"});
  s.linkDecls.push_back({b, c, 50, 1000, true, "d2d"});
  std::string err = s.finalize();
  (void)err;
  return s;
}

inline SystemModel mesh(int rows, int cols, double gbps = 100,
                        double latNs = 10, int64_t onchip = 1 << 20,
                        int64_t offchip = int64_t(1) << 30) {
  SystemModel s;
  s.name = "mesh";
  SystemModel::TopologyDecl t;
  t.kind = TopologyKind::Mesh;
  t.rows = rows;
  t.cols = cols;
  t.gbps = gbps;
  t.latencyNs = latNs;
  t.type = "mesh";
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      Device d = device("d" + std::to_string(r) + "_" + std::to_string(c), 10,
                        100, onchip, offchip);
      d.coord = {r, c};
      t.members.push_back(s.addDevice(d));
    }
  s.topologyDecls.push_back(t);
  s.meshRows = rows;
  s.meshCols = cols;
  s.topology = TopologyKind::Mesh;
  std::string err = s.finalize();
  (void)err;
  return s;
}

/// A two-MoE-layer model: `experts` experts, top-`k`, hidden 64, expert FFN
/// 128, SwiGLU, bf16.
inline ModelDesc tinyModel(int64_t experts = 8, int64_t k = 2,
                           int64_t layers = 2) {
  ModelDesc m;
  m.name = "tiny";
  m.numLayers = layers;
  m.hiddenSize = 64;
  for (int64_t l = 0; l < layers; ++l) {
    MoeLayerDesc d;
    d.index = l;
    d.numExperts = experts;
    d.topK = k;
    d.hiddenSize = 64;
    d.expertFfnSize = 128;
    m.moeLayers.push_back(d);
  }
  return m;
}

} // namespace moesaic::testutil

#endif // MOESAIC_TEST_PERFTESTUTIL_H
