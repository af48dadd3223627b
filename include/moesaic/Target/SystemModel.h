//===- SystemModel.h - The target system's facts, in one place --*- C++ -*-===//
//
// The target model: every hardware fact Moesaic uses (devices, memories, links,
// topology, routing) lives in this class and is queried through it, never
// re-derived elsewhere. The `hw` dialect holds only names, coordinates and
// references; `buildSystemModel(hw::SystemOp)` turns it into this class, and
// the JSON hardware-file loader produces the same class (see HardwareFile.h).
//
// Units: sizes in bytes, bandwidths in GB/s (1e9 bytes per second), latencies
// in nanoseconds, compute in TFLOP/s (1e12 operations per second). Helpers
// convert to the microseconds the report uses.
//
// This header has no MLIR dependency: the runtime scheduler library and the
// simulator use it too.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_TARGET_SYSTEMMODEL_H
#define MOESAIC_TARGET_SYSTEMMODEL_H

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace moesaic {

namespace detail {
class RouteTable;
} // namespace detail

/// The ranges a hardware description may hold, wherever it is written
/// (JSON file or hw.system in IR): rates (TFLOP/s, GB/s) and latencies
/// (ns) of 0 where that means none, else within [1e-6, 1e9] (1e-300
/// TFLOP/s overflowed tick counts; 1e-300 GB/s gave latencies of 1e303
/// us); memory sizes up to 2^56 bytes.
inline bool isPlausibleRate(double v) {
  return v == 0 || (v >= 1e-6 && v <= 1e9);
}
inline constexpr const char *kPlausibleRange =
    "outside the plausible range [1e-06, 1e+09]";
inline constexpr int64_t kMaxDeviceBytes = int64_t(1) << 56;

/// What kind of system this is; strategies check it before lowering.
enum class SystemKind { Chiplet, Wafer, GpuNdp, GpuCluster };

/// What kind of device a node is.
enum class DeviceKind { Chiplet, Die, Gpu, Ndp, Cpu, Switch };

/// How links were declared (shorthands expand into explicit links).
enum class TopologyKind { Explicit, Ring, Mesh, Switch, Pcie };

const char *toString(SystemKind kind);
const char *toString(DeviceKind kind);
const char *toString(TopologyKind kind);
std::optional<SystemKind> parseSystemKind(const std::string &name);
std::optional<DeviceKind> parseDeviceKind(const std::string &name);
std::optional<TopologyKind> parseTopologyKind(const std::string &name);

/// One compute node: a chiplet, a wafer die, a GPU, an NDP unit, a host CPU,
/// or a (compute-less) switch.
struct Device {
  std::string name;
  DeviceKind kind = DeviceKind::Chiplet;
  /// Mesh/ring coordinates ({row, col}); empty when the device has none.
  std::vector<int64_t> coord;
  /// Peak compute per data type ("bf16", "fp16", "fp8", "int8", "int4",
  /// "fp32") in TFLOP/s (TOP/s for integers).
  std::map<std::string, double> peakTflops;
  /// On-chip memory (SRAM, or VRAM for a GPU's working set is offchip).
  int64_t onchipBytes = 0;
  /// Off-chip memory directly attached to this device (DRAM/HBM/VRAM/DIMM).
  int64_t offchipBytes = 0;
  /// Bandwidth of that off-chip memory, GB/s (for an NDP unit, its internal
  /// bandwidth to the DIMM's DRAM).
  double offchipGBps = 0;
  /// Independent off-chip channels (informational; bandwidth is the total).
  int64_t offchipChannels = 1;
  /// For NDP units: the device whose memory space they sit in (host CPU).
  std::optional<unsigned> attachedTo;
  /// Added by a topology expansion (a switch), not declared by the user.
  bool implicit = false;

  /// Peak TFLOP/s for `dtype`, falling back to the closest wider type the
  /// device supports (int4 -> int8 -> fp8 -> bf16 -> fp16 -> fp32); 0 if
  /// it computes nothing.
  double peakFor(const std::string &dtype) const;
  bool canCompute() const { return !peakTflops.empty(); }
};

/// One direction of a physical link. Bidirectional links are two entries,
/// each with its own bandwidth (full duplex).
struct Link {
  unsigned src = 0, dst = 0;
  double bandwidthGBps = 0;
  double latencyNs = 0;
  /// "d2d", "mesh", "nvlink", "pcie", "switch", "ddr" ... (informational).
  std::string kind;
};

/// The whole target system.
class SystemModel {
public:
  std::string name;
  SystemKind kind = SystemKind::Chiplet;
  std::string description;
  TopologyKind topology = TopologyKind::Explicit;
  /// Mesh shape when topology == Mesh (also set for wafers).
  int64_t meshRows = 0, meshCols = 0;
  /// Free-form provenance of the numbers, keyed by field ("sources" in files).
  std::map<std::string, std::string> sources;

  std::vector<Device> devices;
  /// Directed links, filled by finalize() from the declarations.
  std::vector<Link> links;

  //===--------------------------------------------------------------------===//
  // Construction: declare devices, links and topologies, then finalize().
  //===--------------------------------------------------------------------===//

  /// A link as declared (a file's "links" entry or a `hw.link` op).
  struct LinkDecl {
    unsigned a = 0, b = 0;
    double gbps = 0, latencyNs = 0;
    bool bidirectional = true;
    std::string type;
  };
  /// A topology shorthand as declared (a file's "topology" or `hw.topology`).
  ///  - Ring: members[i] <-> members[i+1 mod n];
  ///  - Mesh: members whose coords are neighbours in a rows x cols grid;
  ///  - Switch: an implicit switch device joined to every member;
  ///  - Pcie: a star around `hub` (the other members are its leaves).
  struct TopologyDecl {
    TopologyKind kind = TopologyKind::Ring;
    std::vector<unsigned> members;
    int64_t rows = 0, cols = 0;
    std::optional<unsigned> hub;
    double gbps = 0, latencyNs = 0;
    std::string type;
  };
  std::vector<LinkDecl> linkDecls;
  std::vector<TopologyDecl> topologyDecls;

  unsigned addDevice(Device device);

  /// Checks the declarations; returns an empty string when valid, otherwise
  /// the first problem as a sentence naming the culprit ("link 3 ends at
  /// unknown device 9"). finalize() refuses an invalid system.
  std::string validate() const;

  /// Expands the declarations into directed `links`, builds adjacency and
  /// prepares routing (routes towards a destination are computed the first
  /// time one is asked for, O(links) each). Returns the validation error
  /// (empty on success); a finalized model is immutable. Also checks, in
  /// O(links), that every pair of compute devices can reach each other.
  std::string finalize();
  /// Everything finalize() checks, on a copy: O(links) time. Verifiers use
  /// it; the model stays unfinalized. Same messages as finalize().
  std::string check() const;
  /// Most devices a system may have, implicit switches included: once
  /// every destination has been routed to, the route rows take
  /// devices^2 x 6 bytes (96 MiB at the limit).
  static constexpr unsigned kMaxDevices = 4096;
  static_assert(kMaxDevices < 32767, "hop counts are stored as int16_t");
  bool isFinalized() const { return finalized; }

  //===--------------------------------------------------------------------===//
  // Queries
  //===--------------------------------------------------------------------===//

  unsigned numDevices() const { return devices.size(); }
  std::optional<unsigned> lookup(const std::string &deviceName) const;
  /// Devices that compute model layers (not switches, not the host CPU when
  /// accelerators exist, not NDP units).
  const std::vector<unsigned> &acceleratorDevices() const { return accel; }
  /// NDP units, in declaration order.
  const std::vector<unsigned> &ndpDevices() const { return ndp; }
  /// Host CPU, if any.
  std::optional<unsigned> hostDevice() const { return host; }

  /// Links leaving `device`.
  const std::vector<unsigned> &outLinks(unsigned device) const {
    return out[device];
  }
  /// The link from a to b if they are adjacent.
  std::optional<unsigned> directLink(unsigned a, unsigned b) const;

  /// The sequence of links a transfer from src to dst takes: dimension-order
  /// (X then Y) on meshes, shortest path (fewest hops, then lowest latency)
  /// elsewhere. Empty when src == dst. Deterministic.
  std::vector<unsigned> route(unsigned src, unsigned dst) const;
  /// Appends the route's links to `out` (no allocation when it has room).
  void appendRoute(unsigned src, unsigned dst, std::vector<unsigned> &out) const;
  /// Hops on that route; -1 if unreachable.
  int hops(unsigned src, unsigned dst) const;
  bool reachable(unsigned src, unsigned dst) const;

  /// The summed latency (us) of a route's links (a route() result).
  double routeLatencyUs(const std::vector<unsigned> &route) const {
    double us = 0;
    for (unsigned l : route)
      us += links[l].latencyNs * 1e-3;
    return us;
  }

  /// Time in microseconds for `bytes` to cross the route src->dst when it
  /// has the links to itself (latency of every hop + bytes / slowest link).
  double transferUs(unsigned src, unsigned dst, int64_t bytes) const;

  /// Sum of accelerator off-chip capacities.
  int64_t totalOffchipBytes() const;

  /// Mesh bisection bandwidth (GB/s, one direction) when a mesh; 0 otherwise.
  double bisectionGBps() const;

private:
  /// finalize() in two halves: validate and expand the declarations into
  /// links and adjacency; then the (lazy) route table and the reachability
  /// check.
  std::string expand();
  std::string buildRoutes();

  std::vector<unsigned> accel, ndp;
  std::optional<unsigned> host;
  std::vector<std::vector<unsigned>> out;
  /// Whether every computing device reaches every other one (two searches,
  /// O(links)); needs expanded links.
  bool connected() const;
  // The routes, built one destination at a time on first use and shared by
  // copies (a finalized model is immutable); null until finalize().
  std::shared_ptr<const detail::RouteTable> routes;
  bool finalized = false;
};

/// Microseconds to move `bytes` at `gbps`.
inline double bytesToUs(double bytes, double gbps) {
  return gbps > 0 ? bytes / (gbps * 1e3) : 0.0;
}
/// Microseconds to do `flops` at `tflops`.
inline double flopsToUs(double flops, double tflops) {
  return tflops > 0 ? flops / (tflops * 1e6) : 0.0;
}

} // namespace moesaic

#endif // MOESAIC_TARGET_SYSTEMMODEL_H
