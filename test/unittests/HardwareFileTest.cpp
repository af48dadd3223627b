//===- HardwareFileTest.cpp - JSON hardware files, presets, hw.system -----===//
//
// Every preset loads, finalizes and survives toJSON -> parseHardwareJSON and
// emitSystem -> buildSystemModel; every malformed file is refused with one
// message that names the input and the reason.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Hw/HwDialect.h"
#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Support/InputChecks.h"
#include "moesaic/Target/HardwareFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace moesaic;

namespace {

std::string jsonText(const llvm::json::Value &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << v;
  return os.str();
}

/// The error message of a failed load ("" if it did not fail).
template <typename T> std::string errorOf(llvm::Expected<T> result) {
  if (result)
    return "";
  return llvm::toString(result.takeError());
}

/// Everything a device declares, for comparisons.
void expectSameDevices(const SystemModel &a, const SystemModel &b) {
  ASSERT_EQ(a.devices.size(), b.devices.size());
  for (size_t i = 0; i < a.devices.size(); ++i) {
    const Device &x = a.devices[i], &y = b.devices[i];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.coord, y.coord);
    EXPECT_EQ(x.peakTflops, y.peakTflops);
    EXPECT_EQ(x.onchipBytes, y.onchipBytes);
    EXPECT_EQ(x.offchipBytes, y.offchipBytes);
    EXPECT_EQ(x.offchipGBps, y.offchipGBps);
    EXPECT_EQ(x.offchipChannels, y.offchipChannels);
    EXPECT_EQ(x.attachedTo, y.attachedTo);
    EXPECT_EQ(x.implicit, y.implicit);
  }
}

/// The expanded, directed links.
void expectSameLinks(const SystemModel &a, const SystemModel &b) {
  ASSERT_EQ(a.links.size(), b.links.size());
  for (size_t i = 0; i < a.links.size(); ++i) {
    const Link &x = a.links[i], &y = b.links[i];
    SCOPED_TRACE("link " + std::to_string(i));
    EXPECT_EQ(x.src, y.src);
    EXPECT_EQ(x.dst, y.dst);
    EXPECT_EQ(x.bandwidthGBps, y.bandwidthGBps);
    EXPECT_EQ(x.latencyNs, y.latencyNs);
    EXPECT_EQ(x.kind, y.kind);
  }
  EXPECT_EQ(a.topology, b.topology);
  EXPECT_EQ(a.meshRows, b.meshRows);
  EXPECT_EQ(a.meshCols, b.meshCols);
}

//===----------------------------------------------------------------------===//
// Presets
//===----------------------------------------------------------------------===//

TEST(HardwarePresets, TheShippedPresetsAreListed) {
  std::vector<std::string> names;
  for (const PresetInfo &p : listPresets())
    names.push_back(p.name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char *expected :
       {"edge-chiplet-4", "edge-chiplet-8-mesh", "edge-chiplet-16-mesh",
        "gpu-ndp-edge", "wafer-8x8", "wafer-12x12", "nvl72"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end())
        << expected;
  EXPECT_NE(std::find(names.begin(), names.end(), defaultPresetName().str()),
            names.end());
}

TEST(HardwarePresets, EveryPresetLoadsAndFinalizes) {
  for (const PresetInfo &p : listPresets()) {
    SCOPED_TRACE(p.name);
    llvm::Expected<SystemModel> sys = loadHardware(p.name);
    ASSERT_TRUE(!!sys) << llvm::toString(sys.takeError());
    EXPECT_TRUE(sys->isFinalized());
    EXPECT_EQ(sys->name, p.name);
    EXPECT_EQ(toString(sys->kind), p.kind);
    EXPECT_FALSE(p.summary.empty());
    EXPECT_FALSE(sys->sources.empty());
    EXPECT_FALSE(sys->acceleratorDevices().empty());
    EXPECT_FALSE(sys->links.empty());
    for (unsigned a : sys->acceleratorDevices())
      for (unsigned b : sys->acceleratorDevices())
        EXPECT_TRUE(sys->reachable(a, b));
  }
}

TEST(HardwarePresets, EmbeddedPresetsMatchTheFilesInTheTree) {
  for (const PresetInfo &p : listPresets()) {
    SCOPED_TRACE(p.name);
    std::string path =
        std::string(MOESAIC_SOURCE_DIR) + "/hardware/" + p.name + ".json";
    llvm::Expected<SystemModel> fromFile = loadHardwareFile(path);
    ASSERT_TRUE(!!fromFile) << llvm::toString(fromFile.takeError());
    llvm::Expected<SystemModel> embedded = loadHardware(p.name);
    ASSERT_TRUE(!!embedded) << llvm::toString(embedded.takeError());
    EXPECT_EQ(jsonText(toJSON(*fromFile)), jsonText(toJSON(*embedded)));
  }
}

TEST(HardwarePresets, RoundTripThroughJSON) {
  for (const PresetInfo &p : listPresets()) {
    SCOPED_TRACE(p.name);
    llvm::Expected<SystemModel> sys = loadHardware(p.name);
    ASSERT_TRUE(!!sys) << llvm::toString(sys.takeError());
    std::string text = jsonText(toJSON(*sys));
    llvm::Expected<SystemModel> again = parseHardwareJSON(text, "round trip");
    ASSERT_TRUE(!!again) << llvm::toString(again.takeError());
    EXPECT_EQ(again->name, sys->name);
    EXPECT_EQ(again->kind, sys->kind);
    EXPECT_EQ(again->description, sys->description);
    EXPECT_EQ(again->sources, sys->sources);
    expectSameDevices(*sys, *again);
    expectSameLinks(*sys, *again);
    EXPECT_EQ(jsonText(toJSON(*again)), text);
  }
}

TEST(HardwarePresets, RoundTripThroughTheHwDialect) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<hw::HwDialect>();
  for (const PresetInfo &p : listPresets()) {
    SCOPED_TRACE(p.name);
    llvm::Expected<SystemModel> sys = loadHardware(p.name);
    ASSERT_TRUE(!!sys) << llvm::toString(sys.takeError());
    mlir::OpBuilder builder(&ctx);
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
    hw::SystemOp op = hw::emitSystem(builder, builder.getUnknownLoc(), *sys);
    ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
    EXPECT_EQ(op.getSymName(), hw::systemSymbolName(sys->name));
    mlir::FailureOr<SystemModel> back = hw::buildSystemModel(op);
    ASSERT_TRUE(mlir::succeeded(back));
    EXPECT_EQ(back->kind, sys->kind);
    EXPECT_EQ(back->description, sys->description);
    expectSameDevices(*sys, *back);
    expectSameLinks(*sys, *back);
    for (unsigned a = 0; a < sys->numDevices(); ++a)
      for (unsigned b = 0; b < sys->numDevices(); ++b)
        EXPECT_EQ(back->route(a, b), sys->route(a, b));
  }
}

TEST(HardwarePresets, UnknownNameListsThePresets) {
  std::string err = errorOf(loadHardware("no-such-system"));
  EXPECT_NE(err.find("unknown hardware 'no-such-system'"), std::string::npos)
      << err;
  EXPECT_NE(err.find("not a preset and no such file"), std::string::npos);
  for (const PresetInfo &p : listPresets())
    EXPECT_NE(err.find(p.name), std::string::npos) << p.name;
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// A valid two-device file with `extra` spliced into the top-level object.
std::string twoDevices(const std::string &devices = "",
                       const std::string &rest = "") {
  return R"({"name": "t", "kind": "chiplet", "devices": [)" +
         (devices.empty()
              ? std::string(R"({"name": "a", "peak_tflops": {"bf16": 1}},
                               {"name": "b", "peak_tflops": {"bf16": 1}})")
              : devices) +
         "]" +
         (rest.empty() ? std::string(R"(, "links": [{"src": "a", "dst": "b", "gbps": 1}])")
                       : rest) +
         "}";
}

TEST(HardwareFile, AValidFileLoads) {
  llvm::Expected<SystemModel> sys = parseHardwareJSON(twoDevices(), "ok.json");
  ASSERT_TRUE(!!sys) << llvm::toString(sys.takeError());
  EXPECT_EQ(sys->numDevices(), 2u);
  EXPECT_EQ(sys->links.size(), 2u); // bidirectional by default
}

TEST(HardwareFile, GroupsExpandWithNamesAndCoordinates) {
  llvm::Expected<SystemModel> sys = parseHardwareJSON(
      twoDevices(R"({"name": "g", "grid": [2, 3], "peak_tflops": {"bf16": 1}},
                    {"name": "n", "count": 2, "kind": "chiplet", "peak_tflops": {"bf16": 1}})",
                 R"(, "topology": [{"kind": "mesh", "members": "g", "rows": 2, "cols": 3, "gbps": 5},
                                   {"kind": "ring", "members": ["g_1_2", "n"], "gbps": 2}])"),
      "groups.json");
  ASSERT_TRUE(!!sys) << llvm::toString(sys.takeError());
  ASSERT_EQ(sys->numDevices(), 8u);
  EXPECT_EQ(sys->devices[5].name, "g_1_2");
  EXPECT_EQ(sys->devices[5].coord, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(sys->devices[6].name, "n0");
  EXPECT_EQ(sys->devices[7].name, "n1");
  EXPECT_TRUE(sys->devices[7].coord.empty());
  EXPECT_EQ(sys->meshRows, 2);
  EXPECT_EQ(sys->hops(*sys->lookup("g_0_0"), *sys->lookup("n1")), 4);
}

struct BadFile {
  const char *what;
  std::string text;
  const char *message;
};

/// How gtest and ctest name a case (instead of its bytes, padding and all).
void PrintTo(const BadFile &bad, std::ostream *os) { *os << bad.what; }

class MalformedHardwareFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(MalformedHardwareFile, IsRefusedWithItsReason) {
  const BadFile &bad = GetParam();
  std::string err = errorOf(parseHardwareJSON(bad.text, "bad.json"));
  ASSERT_FALSE(err.empty()) << bad.what << " was accepted";
  EXPECT_EQ(err.rfind("hardware file 'bad.json': ", 0), 0u) << err;
  EXPECT_NE(err.find(bad.message), std::string::npos)
      << bad.what << ": got \"" << err << "\"";
}

const std::string P = R"("peak_tflops": {"bf16": 1})";

INSTANTIATE_TEST_SUITE_P(
    HardwareFile, MalformedHardwareFile,
    ::testing::Values(
        BadFile{"not JSON", "{\"name\": ", "not valid JSON"},
        BadFile{"not JSON either", "devices: []", "not valid JSON"},
        BadFile{"a list at the top", "[1, 2]",
                "the top level must be a JSON object"},
        BadFile{"a string at the top", "\"edge-chiplet-4\"",
                "the top level must be a JSON object"},
        BadFile{"unknown top-level key",
                twoDevices("", R"(, "links": [], "devicez": 1)"),
                "unknown key 'devicez' (expected one of: schema, name, kind"},
        BadFile{"unknown device key",
                twoDevices(R"({"name": "a", "offchip_gb": 1, )" + P + "}"),
                "devices[0]: unknown key 'offchip_gb'"},
        BadFile{"unknown link key",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": 1, "bw": 2}])"),
                "links[0]: unknown key 'bw'"},
        BadFile{"unknown topology key",
                twoDevices("", R"(, "topology": {"kind": "ring", "members": "all", "gbps": 1, "size": 2})"),
                "topology[0]: unknown key 'size'"},
        BadFile{"wrong schema",
                R"({"schema": "moesaic.hw/2", "name": "t", "kind": "chiplet", "devices": [{"name": "a"}]})",
                "unsupported schema 'moesaic.hw/2' (expected moesaic.hw/1)"},
        BadFile{"missing name",
                R"({"kind": "chiplet", "devices": [{"name": "a"}]})",
                "missing 'name'"},
        BadFile{"name not a string",
                R"({"name": 7, "kind": "chiplet", "devices": [{"name": "a"}]})",
                "'name' must be a string"},
        BadFile{"missing kind", R"({"name": "t", "devices": [{"name": "a"}]})",
                "missing 'kind'"},
        BadFile{"missing devices", R"({"name": "t", "kind": "chiplet"})",
                "'devices' must be a non-empty list"},
        BadFile{"empty devices",
                R"({"name": "t", "kind": "chiplet", "devices": []})",
                "'devices' must be a non-empty list"},
        BadFile{"device not an object",
                R"({"name": "t", "kind": "chiplet", "devices": ["a"]})",
                "devices[0]: must be an object"},
        BadFile{"device without a name",
                twoDevices(R"({"kind": "chiplet", )" + P + "}"),
                "devices[0]: missing 'name'"},
        BadFile{"device name with a space",
                twoDevices(R"({"name": "a b", )" + P + "}"),
                "device name 'a b' must be non-empty without spaces"},
        BadFile{"bad system kind",
                R"({"name": "t", "kind": "toaster", "devices": [{"name": "a"}]})",
                "unknown system kind 'toaster' (expected chiplet, wafer, "
                "gpu-ndp or gpu-cluster)"},
        BadFile{"bad device kind",
                twoDevices(R"({"name": "a", "kind": "tpu", )" + P + "}"),
                "devices[0]: unknown device kind 'tpu'"},
        BadFile{"a declared switch",
                twoDevices(R"({"name": "a", "kind": "switch"})"),
                "unknown device kind 'switch'"},
        BadFile{"bad topology kind",
                twoDevices("", R"(, "topology": {"kind": "torus", "members": "all", "gbps": 1})"),
                "topology[0]: unknown topology 'torus' (expected ring, mesh, "
                "switch or pcie)"},
        BadFile{"bandwidth not a number",
                twoDevices(R"({"name": "a", "offchip_bytes": 10, "offchip_gbps": "fast", )" + P + "}"),
                "devices[0]: 'offchip_gbps' must be a number"},
        BadFile{"negative memory",
                twoDevices(R"({"name": "a", "onchip_bytes": -1, )" + P + "}"),
                "devices[0]: 'onchip_bytes' must be in [0, 72057594037927936], got -1"},
        BadFile{"fractional bytes",
                twoDevices(R"({"name": "a", "offchip_bytes": 1.5, "offchip_gbps": 1, )" + P + "}"),
                "devices[0]: 'offchip_bytes' must be an integer"},
        BadFile{"zero channels",
                twoDevices(R"({"name": "a", "offchip_channels": 0, )" + P + "}"),
                "'offchip_channels' must be in [1, 65536], got 0"},
        BadFile{"memory without bandwidth",
                twoDevices(R"({"name": "a", "offchip_bytes": 1024, )" + P + "}"),
                "devices[0]: 'offchip_bytes' is set but 'offchip_gbps' is not "
                "positive"},
        BadFile{"negative memory bandwidth",
                twoDevices(R"({"name": "a", "offchip_gbps": -3, )" + P + "}"),
                "'offchip_gbps' must be a non-negative number, got -3"},
        BadFile{"zero peak",
                twoDevices(R"({"name": "a", "peak_tflops": {"bf16": 0}})"),
                "devices[0].peak_tflops: 'bf16' must be a positive number, got 0"},
        BadFile{"peaks not an object",
                twoDevices(R"({"name": "a", "peak_tflops": 16})"),
                "'peak_tflops' must be an object from data type to TFLOP/s"},
        BadFile{"unknown data type",
                twoDevices(R"({"name": "a", "peak_tflops": {"fp4": 1}})"),
                "devices[0].peak_tflops: unknown data type 'fp4'"},
        BadFile{"NDP unit without compute",
                twoDevices(R"({"name": "a", "kind": "ndp"})"),
                "devices[0]: an NDP unit needs 'peak_tflops'"},
        BadFile{"zero count",
                twoDevices(R"({"name": "a", "count": 0, )" + P + "}"),
                "'count' must be in [1, 4096], got 0"},
        BadFile{"count and grid",
                twoDevices(R"({"name": "a", "count": 2, "grid": [1, 2], )" + P + "}"),
                "'count' and 'grid' cannot both be given"},
        BadFile{"coordinates on a group",
                twoDevices(R"({"name": "a", "count": 2, "coord": [0, 0], )" + P + "}"),
                "'coord' applies to single devices, not to a group"},
        BadFile{"bad coordinates",
                twoDevices(R"({"name": "a", "coord": [1], )" + P + "}"),
                "devices[0]: 'coord' must be [row, col]"},
        BadFile{"negative coordinates",
                twoDevices(R"({"name": "a", "coord": [0, -1], )" + P + "}"),
                "'coord' entries must be non-negative integers"},
        BadFile{"one device past the limit after a full grid",
                twoDevices(R"({"name": "g", "grid": [64, 64], )" + P +
                           R"(}, {"name": "x", )" + P + "}"),
                "devices[1]: the system has more than 4096 devices"},
        BadFile{"implausibly slow device",
                twoDevices(R"({"name": "a", "peak_tflops": {"bf16": 1e-300}})"),
                "devices[0].peak_tflops: 'bf16' = 1e-300 is outside the plausible range [1e-06, 1e+09]"},
        BadFile{"implausibly slow memory (0 means none; 1e-9 is no memory)",
                twoDevices(R"({"name": "a", "peak_tflops": {"bf16": 1}, "offchip_gbps": 1e-9})"),
                "devices[0]: 'offchip_gbps' = 1e-09 is outside the plausible range [1e-06, 1e+09]"},
        BadFile{"implausibly fast link",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": 1e12}])"),
                "links[0]: 'gbps' = 1e+12 is outside the plausible range [1e-06, 1e+09]"},
        BadFile{"system name over two lines",
                R"({"name": "a\nb", "kind": "chiplet", "devices": [{"name": "a", )" + P + "}]}",
                "the system 'name' must be non-empty, one line of printable characters"},
        BadFile{"huge grid",
                twoDevices(R"({"name": "a", "grid": [4096, 4096], )" + P + "}"),
                "'grid' has more than 4096 devices"},
        BadFile{"zero link bandwidth",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": 0}])"),
                "links[0]: 'gbps' must be a positive number, got 0"},
        BadFile{"negative link bandwidth",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": -5}])"),
                "links[0]: 'gbps' must be a positive number, got -5"},
        BadFile{"link without bandwidth",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b"}])"),
                "links[0]: missing 'gbps'"},
        BadFile{"negative link latency",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": 1, "latency_ns": -1}])"),
                "links[0]: 'latency_ns' must be a non-negative number, got -1"},
        BadFile{"zero topology bandwidth",
                twoDevices("", R"(, "topology": {"kind": "ring", "members": "all", "gbps": 0})"),
                "topology[0]: 'gbps' must be a positive number, got 0"},
        BadFile{"bidirectional not a boolean",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": 1, "bidirectional": "yes"}])"),
                "links[0]: 'bidirectional' must be true or false"},
        BadFile{"link without endpoints",
                twoDevices("", R"(, "links": [{"src": "a", "gbps": 1}])"),
                "links[0]: a link needs 'src' and 'dst'"},
        BadFile{"unknown link endpoint",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "zz", "gbps": 1}])"),
                "links[0].dst: unknown device 'zz'"},
        BadFile{"link to itself",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "a", "gbps": 1}, {"src": "a", "dst": "b", "gbps": 1}])"),
                "link 0 joins device 'a' to itself"},
        BadFile{"unknown topology member",
                twoDevices("", R"(, "topology": {"kind": "ring", "members": ["a", "zz"], "gbps": 1})"),
                "topology[0].members[1]: unknown device 'zz'"},
        BadFile{"unknown member group",
                twoDevices("", R"(, "topology": {"kind": "ring", "members": "zz", "gbps": 1})"),
                "topology[0].members: unknown device group 'zz'"},
        BadFile{"members not a list",
                twoDevices("", R"(, "topology": {"kind": "ring", "members": 3, "gbps": 1})"),
                "'members' must be \"all\", a group name or a list"},
        BadFile{"a member twice",
                twoDevices("", R"(, "topology": {"kind": "ring", "members": ["a", "b", "a"], "gbps": 1})"),
                "ring topology lists device 'a' twice"},
        BadFile{"too few members",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": 1}], "topology": {"kind": "switch", "members": ["a"], "gbps": 1})"),
                "switch topology needs at least two members"},
        BadFile{"unknown attachment",
                twoDevices(R"({"name": "a", )" + P + R"(}, {"name": "n", "kind": "ndp", "attached_to": "host", )" + P + "}"),
                "devices[1].attached_to: unknown device 'host'"},
        BadFile{"attachment of a non-NDP device",
                twoDevices(R"({"name": "a", )" + P + R"(}, {"name": "b", "attached_to": "a", )" + P + "}"),
                "device 'b' is attached to a host but is not an NDP unit"},
        BadFile{"duplicate device names",
                twoDevices(R"({"name": "a", )" + P + R"(}, {"name": "a", )" + P + "}",
                           R"(, "topology": {"kind": "ring", "members": "all", "gbps": 1})"),
                "device name 'a' is used twice"},
        BadFile{"a group clashing with a device",
                twoDevices(R"({"name": "c", "count": 2, )" + P + R"(}, {"name": "c1", )" + P + "}",
                           R"(, "topology": {"kind": "ring", "members": "all", "gbps": 1})"),
                "device name 'c1' is used twice"},
        BadFile{"duplicate coordinates",
                twoDevices(R"({"name": "a", "coord": [0, 1], )" + P + R"(}, {"name": "b", "coord": [0, 1], )" + P + "}"),
                "device 'b' has the coordinates [0, 1] of another device"},
        BadFile{"mesh without rows",
                twoDevices("", R"(, "topology": {"kind": "mesh", "members": "all", "cols": 2, "gbps": 1})"),
                "topology[0]: missing 'rows'"},
        BadFile{"mesh size mismatch",
                twoDevices(R"({"name": "d", "grid": [2, 2], )" + P + "}",
                           R"(, "topology": {"kind": "mesh", "members": ["d_0_0", "d_0_1", "d_1_0"], "rows": 2, "cols": 2, "gbps": 1}, "links": [{"src": "d_1_1", "dst": "d_1_0", "gbps": 1}])"),
                "mesh topology of 2 x 2 has 3 members"},
        BadFile{"member outside the mesh",
                twoDevices(R"({"name": "d", "grid": [2, 2], )" + P + "}",
                           R"(, "topology": {"kind": "mesh", "members": ["d_0_0", "d_1_1"], "rows": 2, "cols": 1, "gbps": 1})"),
                "mesh member 'd_1_1' lies outside the 2 x 1 mesh"},
        BadFile{"mesh member without coordinates",
                twoDevices("", R"(, "topology": {"kind": "mesh", "members": "all", "rows": 1, "cols": 2, "gbps": 1})"),
                "topology[0]: mesh member 'a' has no coordinates: give its "
                "device entry \"coord\": [row, col], or its group \"grid\": "
                "[rows, cols] instead of \"count\""},
        BadFile{"mesh link between non-neighbours",
                twoDevices(R"({"name": "d", "grid": [2, 2], )" + P + "}",
                           R"(, "topology": {"kind": "mesh", "members": "d", "rows": 2, "cols": 2, "gbps": 1}, "links": [{"src": "d_0_0", "dst": "d_1_1", "gbps": 1}])"),
                "link 0 ('d_0_0' -> 'd_1_1') joins mesh members that are not "
                "neighbours"},
        BadFile{"pcie without hub",
                twoDevices("", R"(, "topology": {"kind": "pcie", "members": "all", "gbps": 1})"),
                "topology[0]: a pcie topology needs a 'hub'"},
        BadFile{"pcie hub outside the star",
                twoDevices(R"({"name": "a", )" + P + R"(}, {"name": "b", )" + P + R"(}, {"name": "h", )" + P + "}",
                           R"(, "topology": {"kind": "pcie", "members": ["a", "b"], "hub": "h", "gbps": 1}, "links": [{"src": "a", "dst": "h", "gbps": 1}])"),
                "pcie hub device 'h' is not one of the members"},
        BadFile{"no links at all", twoDevices("", " "),
                "devices are not connected: give 'links' or a 'topology'"},
        BadFile{"disconnected devices",
                twoDevices(R"({"name": "a", )" + P + R"(}, {"name": "b", )" + P + R"(}, {"name": "c", )" + P + "}"),
                "device 'a' cannot reach device 'c' over any link"},
        BadFile{"one-way link",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": 1, "bidirectional": false}])"),
                "device 'b' cannot reach device 'a' over any link"},
        BadFile{"sources not an object",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": 1}], "sources": "datasheet")"),
                "'sources' must be an object from field to source"},
        BadFile{"a source not a string",
                twoDevices("", R"(, "links": [{"src": "a", "dst": "b", "gbps": 1}], "sources": {"links": 3})"),
                "sources: 'links' must be a string"}),
    [](const ::testing::TestParamInfo<BadFile> &info) {
      std::string name;
      for (char c : std::string(info.param.what))
        name += std::isalnum((unsigned char)c) ? c : '_';
      return name;
    });

// The device limit is inclusive for a grid as for a count: a 64 x 64 grid
// is 4096 devices (it was refused as one more).
TEST(HardwareFile, AGridOfExactlyTheDeviceLimitLoads) {
  llvm::Expected<SystemModel> sys = parseHardwareJSON(
      R"({"name": "t", "kind": "chiplet", "devices": [{"name": "c",
          "grid": [64, 64], "peak_tflops": {"bf16": 1}}],
          "topology": {"kind": "ring", "members": "c", "gbps": 1}})",
      "grid.json");
  ASSERT_TRUE(bool(sys)) << llvm::toString(sys.takeError());
  EXPECT_EQ(sys->numDevices(), 4096u);
}

// llvm::json keeps the last of two equal keys: a repeated key in a
// hand-written file is refused with its position, wherever it is nested.
TEST(HardwareFile, ARepeatedKeyIsRefusedWithItsPosition) {
  const char *base = R"({"name": "t", "kind": "chiplet", "devices": [{"name": "c",
    "count": 4, "peak_tflops": {"bf16": 1}%s}],
    "topology": {"kind": "ring", "members": "c", "gbps": 1}})";
  auto with = [&](const char *extra) {
    std::string text = base;
    text.replace(text.find("%s"), 2, extra);
    return text;
  };
  ASSERT_EQ(errorOf(parseHardwareJSON(with(""), "d.json")), "");
  EXPECT_EQ(errorOf(parseHardwareJSON(with(R"(, "count": 8)"), "d.json")),
            "hardware file 'd.json': duplicate key \"count\" (line 2, column "
            "45): a key may appear once per object");
  EXPECT_EQ(
      errorOf(parseHardwareJSON(R"({"name": "a", "name": "b"})", "d.json")),
      "hardware file 'd.json': duplicate key \"name\" (line 1, column 15): a "
      "key may appear once per object");
}

TEST(JsonDuplicateKey, EqualKeysOfDifferentObjectsAreFine) {
  // Sibling and nested objects, arrays of objects, values equal to keys,
  // and brackets, commas and quotes inside strings.
  EXPECT_FALSE(jsonDuplicateKey(R"({"a": {"a": 1, "b": {"a": [1, {"a": 2}]}},
      "b": [{"x": 1}, {"x": 2}], "c": "a", "d": "{\"e\": 1, \"e\": 2}",
      "e,": "]", "f": ["a", "a"]})"));
  EXPECT_FALSE(jsonDuplicateKey(R"([{"k": 1}, [{"k": 2}], {"k": 3}])"));
  EXPECT_FALSE(jsonDuplicateKey(R"({"\"q": 1, "q": 2})"));
  EXPECT_FALSE(jsonDuplicateKey("{}"));
}

TEST(JsonDuplicateKey, RepeatedKeysAreFoundAtAnyDepth) {
  EXPECT_EQ(jsonDuplicateKey(R"({"a": 1, "a": 2})"),
            std::optional<std::string>("duplicate key \"a\" (line 1, column 10)"));
  EXPECT_EQ(jsonDuplicateKey("[1, {\"b\": [{}],\n  \"c\": {\"d\": 1},\n  \"b\": 0}]"),
            std::optional<std::string>("duplicate key \"b\" (line 3, column 3)"));
  // After a nested object closes, the outer object's keys still count.
  EXPECT_EQ(jsonDuplicateKey(R"({"x": {"y": 1}, "y": 2, "x": 3})"),
            std::optional<std::string>("duplicate key \"x\" (line 1, column 25)"));
  EXPECT_EQ(jsonDuplicateKey(R"({"e\"": 1, "e\"": 2})"),
            std::optional<std::string>("duplicate key \"e\\\"\" (line 1, column 12)"));
}

TEST(HardwareFile, OversizedTextIsRefused) {
  std::string text(16 * 1024 * 1024 + 1, ' ');
  std::string err = errorOf(parseHardwareJSON(text, "big.json"));
  EXPECT_EQ(err, "hardware file 'big.json': larger than 16 MiB");
}

TEST(HardwareFile, OversizedFileIsRefusedBeforeReading) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("moesaic-big", "json", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << std::string(16 * 1024 * 1024 + 10, ' ');
  }
  std::string err = errorOf(loadHardwareFile(path));
  llvm::sys::fs::remove(path);
  EXPECT_EQ(err, "hardware file '" + path.str().str() + "': larger than 16 MiB");
}

TEST(HardwareFile, MissingFileNamesThePath) {
  std::string err = errorOf(loadHardwareFile("/nonexistent/dir/sys.json"));
  EXPECT_EQ(err.rfind("hardware file '/nonexistent/dir/sys.json': ", 0), 0u)
      << err;
  EXPECT_NE(err.find("o such file or directory"), std::string::npos) << err;
}

TEST(HardwareFile, LoadHardwareTakesAPath) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("moesaic-ok", "json", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << twoDevices();
  }
  llvm::Expected<SystemModel> sys = loadHardware(path);
  llvm::sys::fs::remove(path);
  ASSERT_TRUE(!!sys) << llvm::toString(sys.takeError());
  EXPECT_EQ(sys->name, "t");
}

TEST(HardwareFile, PresetErrorsNameThePreset) {
  // A preset goes through the same parser; its name is the input in errors.
  std::string err = errorOf(parseHardwareJSON("[]", "preset x"));
  EXPECT_EQ(err, "hardware file 'preset x': the top level must be a JSON object");
}

} // namespace

TEST(InputChecks, MlirNestingCountsBracketsNotArrowsStringsOrComments) {
  std::string deep(kMaxMlirDepth, '(');
  EXPECT_FALSE(mlirNestingProblem(deep));
  std::optional<std::string> why = mlirNestingProblem("\n" + deep + "[");
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "nested deeper than 512 levels (line 2, column 513)");
  // Arrows and >= close nothing; <= opens nothing.
  std::string arrows;
  for (unsigned i = 0; i < 2 * kMaxMlirDepth; ++i)
    arrows += "affine_set<(d0) : (d0 >= 0, 4 <= d0)> () -> i32 ";
  EXPECT_FALSE(mlirNestingProblem(arrows));
  std::string angles(kMaxMlirDepth, '<');
  EXPECT_FALSE(mlirNestingProblem(angles + "->" + std::string(3, '>') + "<"));
  EXPECT_TRUE(mlirNestingProblem(angles + "<"));
  // Brackets in strings and comments are text.
  std::string quoted = "\"" + std::string(2000, '[') + "\\\"{{\"";
  EXPECT_FALSE(mlirNestingProblem(quoted));
  EXPECT_FALSE(mlirNestingProblem("// " + std::string(2000, '{') + "\n}"));
  EXPECT_TRUE(mlirNestingProblem("//\n" + std::string(2000, '{')));
  // Bytecode is not text.
  EXPECT_FALSE(mlirNestingProblem("ML\xefR" + std::string(2000, '[')));
}
