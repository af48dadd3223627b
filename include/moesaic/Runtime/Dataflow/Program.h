//===- Program.h - when/where dataflow program (JSON form) -------*- C++ -*-===//
//
// The in-memory form of a `df.program` as its schedule export writes it
// (docs/dataflow.md, "JSON form"), and a generic token-driven executor of
// `where` / `when` graphs. No MLIR dependency: a controller loads the JSON.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_DATAFLOW_PROGRAM_H
#define MOESAIC_RUNTIME_DATAFLOW_PROGRAM_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace moesaic::dataflow {

enum class NodeKind : uint8_t { Input, Output, Where, When };
/// Where a `where` node's adjacency, or a `when` node's threshold, comes
/// from: static, or a run-time control port (docs/dataflow.md). `Links`:
/// like `Trajectory` (destinations set by the runtime per input), but the
/// outputs are the directed ring links a shard's stream crosses. `Select`:
/// each input goes to one output the runtime chose (a placement); `Route`:
/// a token goes to the outputs a run-time table lists for its payload (a
/// route over links); `Threshold`: a `when` whose threshold the runtime
/// sets per run (at least the static one).
enum class Control : uint8_t {
  Static,
  Gating,
  Trajectory,
  Links,
  Select,
  Route,
  Threshold
};

struct Node {
  NodeKind kind = NodeKind::Input;
  std::string port;                ///< input / output ports
  std::vector<int64_t> at;         ///< labels
  std::vector<uint32_t> inputs;    ///< value ids (see Program::valueBase)
  uint32_t numOutputs = 0;
  Control control = Control::Static;
  std::vector<uint8_t> adjacency;  ///< static where: n x m, row-major
  int64_t threshold = 1;           ///< when
  bool resetOnFire = false;        ///< when
};

struct Program {
  std::string name;
  std::map<std::string, int64_t> params;
  std::vector<Node> nodes;
  /// Value id of result r of node i: valueBase[i] + r.
  std::vector<uint32_t> valueBase;
  uint32_t numValues = 0;
  /// Node producing each value.
  std::vector<uint32_t> producer;

  int64_t param(const std::string &key, int64_t otherwise = -1) const {
    auto it = params.find(key);
    return it == params.end() ? otherwise : it->second;
  }
};

/// Reads the "dataflow" object of a schedule layer. Checks what the MLIR
/// verifiers check (edges point to earlier nodes, so the graph is acyclic;
/// adjacency shapes; positive thresholds; no dangling stream). Errors name
/// the program, the node index and the reason.
llvm::Expected<Program> programFromJson(const llvm::json::Object &dataflow);

/// The layers' "dataflow" programs of a schedule JSON, by layer index. The
/// exporter writes a program once: a layer whose program equals an earlier
/// layer's carries only `{"name", "same_as_layer": k}` (docs/dataflow.md).
/// `load` parses each distinct program once and gives every layer its own
/// copy under the layer's own name.
class SchedulePrograms {
public:
  explicit SchedulePrograms(const llvm::json::Object &schedule);

  bool has(int64_t layer) const { return layers.count(layer) != 0; }
  /// The layer's own program name ("" when it has none).
  llvm::StringRef name(int64_t layer) const;
  /// The layer's program. Errors: no program, or a `same_as_layer` that
  /// names a layer without a program of its own.
  llvm::Expected<Program> load(int64_t layer);

private:
  struct Entry {
    const llvm::json::Object *object = nullptr;
    std::string name;
  };
  std::map<int64_t, Entry> layers;
  std::map<int64_t, Program> parsed; // by the layer that holds the nodes
};

/// Token-driven execution of a program. A token is an integer payload (the
/// fse-dp program: the index of a batch token, or of a shard chunk).
/// `gating` routing reads the payload's expert choices; `trajectory` and
/// `links` routing read the destinations the runtime set for the node,
/// `select` the one output it set per input, `route` the run-time table
/// row of the payload.
class Executor {
public:
  explicit Executor(const Program &program);

  /// Clears every `when` state, edge counter and recorded firing. Costs
  /// what the last run touched, not the program size.
  void reset();
  /// The batch gating `gating` wheres route by: token t picks
  /// experts[t*topK .. t*topK+topK) (negative ids ignored).
  void setGating(const int32_t *experts, unsigned topK) {
    gatingExperts = experts;
    gatingTopK = topK;
  }
  /// Destinations of input i of trajectory or links where `node`: a bit
  /// mask of its outputs (up to 64).
  void setRoute(uint32_t node, unsigned input, uint64_t outputs) {
    routes[routeBase[node] + input] = outputs;
  }
  /// Output of input i of select where `node` (-1: the token is dropped).
  void setSelect(uint32_t node, unsigned input, int32_t output) {
    selects[routeBase[node] + input] = output;
  }
  /// The table route wheres read: a token with payload p goes to outputs
  /// table[p*width .. p*width+width) of its node (negative ids ignored).
  void setRouteTable(const int32_t *table, unsigned width) {
    routeTable = table;
    routeWidth = width;
  }
  /// Threshold of `when` node `node` from the next push on (control
  /// "threshold"): at least the node's static threshold. It stays until
  /// set again; reset() does not restore it.
  void setThreshold(uint32_t node, int64_t value) {
    threshold[node] = std::max(value, prog.nodes[node].threshold);
  }
  /// Whether `when` node `node` has fired since the last reset.
  bool hasFired(uint32_t node) const {
    return counts[prog.valueBase[node]] > 0;
  }

  /// Injects one token on value `v` and runs the graph to quiescence.
  void push(uint32_t v, uint32_t payload) { push(v, payload, 1); }
  /// Injects `tokens` tokens with the same payload on value `v` at once, as
  /// one counted packet: `where` nodes copy the packet, a `when` adds its
  /// count to the state and emits one packet of as many firings as the
  /// state crossed thresholds (at most one without reset). Counts, `when`
  /// states and the firings each output records end as after `tokens`
  /// single pushes (the graph is acyclic and every node only counts; only
  /// the interleaving of firings from different sources within one output
  /// may differ), which is what a hardware `when` counting a burst of
  /// arrivals does.
  void push(uint32_t v, uint32_t payload, uint32_t tokens);

  /// Tokens that crossed value `v` since the last reset.
  uint32_t count(uint32_t v) const { return counts[v]; }
  /// Firings recorded by output node `node`, in order: the value ids that
  /// delivered them.
  const std::vector<uint32_t> &fired(uint32_t node) const {
    return firings[node];
  }

private:
  struct Packet {
    uint32_t value, payload, tokens;
  };
  void touchNode(uint32_t node) {
    if (!dirtyNode[node]) {
      dirtyNode[node] = 1;
      touchedNodes.push_back(node);
    }
  }

  const Program &prog;
  /// One use of a value, precompiled so propagation touches no Node:
  /// `aux` is the input index (static, gating and route wheres) or the slot
  /// in `routes` (trajectory and links wheres) or in `selects` (select
  /// wheres).
  struct Consumer {
    uint32_t node, out, aux;
    NodeKind kind;
    Control control;
    uint8_t resetOnFire;
  };
  // consumers of value v: consumers[consumerBegin[v] .. consumerBegin[v+1]).
  std::vector<uint32_t> consumerBegin;
  std::vector<Consumer> consumers;
  std::vector<int64_t> threshold;    // [node], when (setThreshold writes)
  std::vector<uint32_t> width;       // [node], inputs of a where
  std::vector<uint32_t> routeBase;
  std::vector<uint64_t> routes;
  std::vector<int32_t> selects;
  const int32_t *routeTable = nullptr;
  unsigned routeWidth = 0;
  std::vector<int64_t> state;
  std::vector<uint8_t> done;
  std::vector<uint32_t> counts;
  std::vector<std::vector<uint32_t>> firings;
  std::vector<Packet> queue;
  std::vector<uint8_t> dirtyNode;
  std::vector<uint32_t> touchedNodes, touchedValues;
  const int32_t *gatingExperts = nullptr;
  unsigned gatingTopK = 0;
};

} // namespace moesaic::dataflow

#endif // MOESAIC_RUNTIME_DATAFLOW_PROGRAM_H
