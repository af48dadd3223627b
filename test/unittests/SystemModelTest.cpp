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

TEST(SystemModel, PeakFallsBackToWiderTypes) {
  Device d = chiplet("x", 0, 0);
  d.peakTflops["int8"] = 40;
  EXPECT_EQ(d.peakFor("int4"), 40);
  EXPECT_EQ(d.peakFor("fp8"), 10);
  EXPECT_EQ(d.peakFor("bf16"), 10);
}

} // namespace
