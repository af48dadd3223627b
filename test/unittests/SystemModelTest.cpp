//===- SystemModelTest.cpp - Routing and checks of the target model -------===//

#include "moesaic/Target/SystemModel.h"

#include <gtest/gtest.h>

using namespace moesaic;

namespace {

Device chiplet(const std::string &name, int64_t r, int64_t c) {
  Device d;
  d.name = name;
  d.coord = {r, c};
  d.peakTflops["bf16"] = 10;
  d.offchipBytes = 1 << 30;
  d.offchipGBps = 50;
  return d;
}

SystemModel mesh(int rows, int cols, double gbps = 100, double lat = 10) {
  SystemModel s;
  s.name = "mesh";
  SystemModel::TopologyDecl t;
  t.kind = TopologyKind::Mesh;
  t.rows = rows;
  t.cols = cols;
  t.gbps = gbps;
  t.latencyNs = lat;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      t.members.push_back(s.addDevice(
          chiplet("d" + std::to_string(r) + "_" + std::to_string(c), r, c)));
  s.topologyDecls.push_back(t);
  return s;
}

TEST(SystemModel, MeshRoutesAreDimensionOrdered) {
  SystemModel s = mesh(4, 4);
  ASSERT_EQ(s.finalize(), "");
  // 4x4 mesh: 24 neighbour pairs, two directions each.
  EXPECT_EQ(s.links.size(), 48u);
  unsigned a = *s.lookup("d0_0"), b = *s.lookup("d3_2");
  EXPECT_EQ(s.hops(a, b), 5);
  std::vector<unsigned> route = s.route(a, b);
  ASSERT_EQ(route.size(), 5u);
  // X (column) first: the first two hops stay in row 0.
  EXPECT_EQ(s.devices[s.links[route[0]].dst].name, "d0_1");
  EXPECT_EQ(s.devices[s.links[route[1]].dst].name, "d0_2");
  EXPECT_EQ(s.devices[s.links[route[2]].dst].name, "d1_2");
  EXPECT_EQ(s.devices[s.links[route.back()].dst].name, "d3_2");
  EXPECT_TRUE(s.route(a, a).empty());
}

TEST(SystemModel, TransferTimeIsLatencyPlusSerialisation) {
  SystemModel s = mesh(1, 3, /*gbps=*/100, /*lat=*/10);
  ASSERT_EQ(s.finalize(), "");
  // 2 hops x 10 ns = 0.02 us, plus 1e6 bytes at 100 GB/s = 10 us.
  EXPECT_NEAR(s.transferUs(*s.lookup("d0_0"), *s.lookup("d0_2"), 1000000),
              10.02, 1e-9);
}

TEST(SystemModel, RingTakesTheShortWay) {
  SystemModel s;
  SystemModel::TopologyDecl t;
  t.kind = TopologyKind::Ring;
  t.gbps = 10;
  for (int i = 0; i < 6; ++i)
    t.members.push_back(s.addDevice(chiplet("c" + std::to_string(i), 0, i)));
  s.topologyDecls.push_back(t);
  ASSERT_EQ(s.finalize(), "");
  EXPECT_EQ(s.hops(0, 5), 1);
  EXPECT_EQ(s.hops(0, 3), 3);
  EXPECT_EQ(s.hops(1, 4), 3);
  EXPECT_EQ(s.links.size(), 12u);
}

// One-way links make hops(src, dst) != hops(dst, src): a table stored in
// the wrong orientation would swap them. Every pair's hop count also equals
// the length of its route.
TEST(SystemModel, OneWayRingHopsFollowTheDirection) {
  SystemModel s;
  const unsigned n = 7;
  for (unsigned i = 0; i < n; ++i)
    s.addDevice(chiplet("c" + std::to_string(i), 0, i));
  for (unsigned i = 0; i < n; ++i) {
    SystemModel::LinkDecl l;
    l.a = i;
    l.b = (i + 1) % n;
    l.gbps = 10;
    l.bidirectional = false;
    s.linkDecls.push_back(l);
  }
  ASSERT_EQ(s.finalize(), "");
  for (unsigned a = 0; a < n; ++a)
    for (unsigned b = 0; b < n; ++b) {
      EXPECT_EQ(s.hops(a, b), (int)((b + n - a) % n)) << a << "->" << b;
      EXPECT_EQ(s.route(a, b).size(), (size_t)s.hops(a, b));
    }
}

TEST(SystemModel, SwitchAddsAnImplicitHub) {
  SystemModel s;
  SystemModel::TopologyDecl t;
  t.kind = TopologyKind::Switch;
  t.gbps = 900;
  for (int i = 0; i < 4; ++i)
    t.members.push_back(s.addDevice(chiplet("g" + std::to_string(i), 0, i)));
  s.topologyDecls.push_back(t);
  ASSERT_EQ(s.finalize(), "");
  EXPECT_EQ(s.numDevices(), 5u);
  EXPECT_TRUE(s.devices.back().implicit);
  EXPECT_EQ(s.hops(0, 3), 2);
  EXPECT_EQ(s.acceleratorDevices().size(), 4u);
}

TEST(SystemModel, RejectsInconsistentSystems) {
  {
    SystemModel s = mesh(2, 2);
    s.devices[3].coord = {0, 0};
    EXPECT_NE(s.finalize().find("coordinates"), std::string::npos);
  }
  {
    SystemModel s = mesh(2, 2);
    s.linkDecls.push_back({0, 3, 10, 1, true, ""}); // diagonal
    EXPECT_NE(s.finalize().find("not neighbours"), std::string::npos);
  }
  {
    SystemModel s = mesh(2, 2);
    s.linkDecls.push_back({0, 9, 10, 1, true, ""});
    EXPECT_NE(s.finalize().find("unknown device"), std::string::npos);
  }
  {
    SystemModel s = mesh(2, 2);
    s.topologyDecls[0].gbps = 0;
    EXPECT_NE(s.finalize().find("non-positive bandwidth"), std::string::npos);
  }
  {
    SystemModel s;
    s.addDevice(chiplet("a", 0, 0));
    s.addDevice(chiplet("b", 0, 1));
    s.addDevice(chiplet("c", 0, 2));
    s.linkDecls.push_back({0, 1, 10, 1, true, ""});
    EXPECT_NE(s.finalize().find("cannot reach"), std::string::npos);
  }
}

// check() (the verifier's path, no route tables) agrees with finalize():
// the same verdict and the same sentence, on valid and invalid systems,
// including one-way links where only one direction is unreachable.
TEST(SystemModel, CheckAgreesWithFinalize) {
  std::vector<SystemModel> systems;
  systems.push_back(mesh(3, 4));
  {
    SystemModel s = mesh(2, 2);
    s.devices[3].coord = {0, 0};
    systems.push_back(s);
  }
  {
    SystemModel s = mesh(2, 2);
    s.topologyDecls[0].gbps = 0;
    systems.push_back(s);
  }
  for (bool backLink : {false, true}) {
    // a -> b -> c one way, optionally c -> a: a ring or a dead end.
    SystemModel s;
    s.addDevice(chiplet("a", 0, 0));
    s.addDevice(chiplet("b", 0, 1));
    s.addDevice(chiplet("c", 0, 2));
    s.linkDecls.push_back({0, 1, 10, 1, false, ""});
    s.linkDecls.push_back({1, 2, 10, 1, false, ""});
    if (backLink)
      s.linkDecls.push_back({2, 0, 10, 1, false, ""});
    systems.push_back(s);
  }
  {
    // Two islands behind two switches.
    SystemModel s;
    for (int i = 0; i < 4; ++i)
      s.addDevice(chiplet("g" + std::to_string(i), 0, i));
    SystemModel::TopologyDecl left, right;
    left.kind = right.kind = TopologyKind::Switch;
    left.members = {0, 1};
    right.members = {2, 3};
    left.gbps = right.gbps = 100;
    s.topologyDecls = {left, right};
    systems.push_back(s);
  }
  int valid = 0;
  for (SystemModel &s : systems) {
    std::string checked = s.check();
    EXPECT_FALSE(s.isFinalized());
    std::string finalized = s.finalize();
    EXPECT_EQ(checked, finalized);
    valid += finalized.empty();
  }
  EXPECT_EQ(valid, 2); // the 3x4 mesh and the one-way ring
}

TEST(SystemModel, PeakFallsBackToWiderTypes) {
  Device d = chiplet("x", 0, 0);
  d.peakTflops["int8"] = 40;
  EXPECT_EQ(d.peakFor("int4"), 40);
  EXPECT_EQ(d.peakFor("fp8"), 10);
  EXPECT_EQ(d.peakFor("bf16"), 10);
}

} // namespace
