//===- Program.cpp - when/where program loader and executor ---------------===//

#include "moesaic/Runtime/Dataflow/Program.h"
#include "moesaic/Support/JsonIntegers.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

using namespace moesaic::dataflow;

static llvm::Error fail(const Program &p, size_t node, const llvm::Twine &why) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("dataflow program '{0}', node {1}: {2}", p.name, node,
                    why.str())
          .str());
}

SchedulePrograms::SchedulePrograms(const llvm::json::Object &schedule) {
  if (const llvm::json::Array *all = schedule.getArray("layers"))
    for (const llvm::json::Value &v : *all)
      if (const llvm::json::Object *o = v.getAsObject())
        if (const llvm::json::Object *df = o->getObject("dataflow"))
          if (auto index = jsonInteger(*o, "index"))
            layers[*index] = {df, df->getString("name").value_or("").str()};
}

llvm::StringRef SchedulePrograms::name(int64_t layer) const {
  auto it = layers.find(layer);
  return it == layers.end() ? llvm::StringRef() : it->second.name;
}

llvm::Expected<Program> SchedulePrograms::load(int64_t layer) {
  auto it = layers.find(layer);
  if (it == layers.end())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("layer {0} has no \"dataflow\" program", layer).str());
  int64_t source = layer;
  if (auto same = jsonInteger(*it->second.object, "same_as_layer")) {
    if (it->second.name.empty())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("dataflow program of layer {0}: missing \"name\"",
                        layer)
              .str());
    source = *same;
    auto src = layers.find(source);
    if (src == layers.end() ||
        src->second.object->get("same_as_layer"))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("dataflow program '{0}' of layer {1}: "
                        "\"same_as_layer\": {2} names a layer without a "
                        "program of its own",
                        it->second.name, layer, source)
              .str());
  }
  auto cached = parsed.find(source);
  if (cached == parsed.end()) {
    llvm::Expected<Program> p = programFromJson(*layers[source].object);
    if (!p)
      return p.takeError();
    cached = parsed.emplace(source, std::move(*p)).first;
  }
  Program copy = cached->second;
  copy.name = it->second.name;
  return copy;
}

llvm::Expected<Program>
moesaic::dataflow::programFromJson(const llvm::json::Object &dataflow) {
  Program p;
  if (auto name = dataflow.getString("name"))
    p.name = name->str();
  else
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "dataflow program: missing \"name\"");
  if (const llvm::json::Object *params = dataflow.getObject("params"))
    for (const auto &kv : *params)
      if (auto v = jsonInteger(kv.second))
        p.params[kv.first.str()] = *v;
  const llvm::json::Array *nodes = dataflow.getArray("nodes");
  if (!nodes)
    return fail(p, 0, "missing \"nodes\"");
  llvm::StringSet<> inPorts, outPorts;
  std::vector<uint32_t> uses;
  for (size_t i = 0; i < nodes->size(); ++i) {
    const llvm::json::Object *o = (*nodes)[i].getAsObject();
    if (!o)
      return fail(p, i, "not an object");
    Node n;
    auto op = o->getString("op");
    if (!op)
      return fail(p, i, "missing \"op\"");
    if (*op == "input")
      n.kind = NodeKind::Input;
    else if (*op == "output")
      n.kind = NodeKind::Output;
    else if (*op == "where")
      n.kind = NodeKind::Where;
    else if (*op == "when")
      n.kind = NodeKind::When;
    else
      return fail(p, i, "unknown op \"" + *op + "\"");
    if (auto port = o->getString("port"))
      n.port = port->str();
    if (const llvm::json::Array *at = o->getArray("at"))
      for (const llvm::json::Value &v : *at)
        if (auto x = jsonInteger(v))
          n.at.push_back(*x);
    if (const llvm::json::Array *ins = o->getArray("inputs")) {
      for (const llvm::json::Value &e : *ins) {
        const llvm::json::Array *pair = e.getAsArray();
        std::optional<int64_t> src, res;
        if (pair && pair->size() == 2) {
          src = jsonInteger((*pair)[0]);
          res = jsonInteger((*pair)[1]);
        }
        if (!src || !res)
          return fail(p, i, "an input must be [node, result]");
        if (*src < 0 || (size_t)*src >= i)
          return fail(p, i,
                      "input from node " + llvm::Twine(*src) +
                          " does not come from an earlier node (the graph "
                          "must be acyclic and in order)");
        if (*res < 0 || *res >= (int64_t)p.nodes[*src].numOutputs)
          return fail(p, i, "input result " + llvm::Twine(*res) +
                                " out of range of node " + llvm::Twine(*src));
        uint32_t v = p.valueBase[*src] + (uint32_t)*res;
        n.inputs.push_back(v);
        ++uses[v];
      }
    }
    size_t m = n.inputs.size();
    switch (n.kind) {
    case NodeKind::Input:
      n.numOutputs = 1;
      if (m != 0)
        return fail(p, i, "an input port has no inputs");
      if (!inPorts.insert(n.port).second)
        return fail(p, i, "duplicate input port '" + n.port + "'");
      break;
    case NodeKind::Output:
      if (m == 0)
        return fail(p, i, "output port '" + n.port + "' needs an input");
      if (!outPorts.insert(n.port).second)
        return fail(p, i, "duplicate output port '" + n.port + "'");
      break;
    case NodeKind::When: {
      n.numOutputs = 1;
      auto th = jsonInteger(*o, "threshold");
      if (!th || *th <= 0)
        return fail(p, i, "threshold must be positive");
      n.threshold = *th;
      if (auto c = o->getString("control")) {
        if (*c != "threshold")
          return fail(p, i, "unknown when control \"" + *c + "\"");
        n.control = Control::Threshold;
      }
      auto reset = o->getString("reset");
      if (!reset || (*reset != "none" && *reset != "on_fire"))
        return fail(p, i, "reset must be \"none\" or \"on_fire\"");
      n.resetOnFire = *reset == "on_fire";
      if (m == 0)
        return fail(p, i, "a when node needs an input");
      break;
    }
    case NodeKind::Where: {
      auto outs = jsonInteger(*o, "outputs");
      if (!outs || *outs <= 0 || m == 0)
        return fail(p, i, "a where node needs inputs and outputs");
      n.numOutputs = (uint32_t)*outs;
      if (const llvm::json::Array *rows = o->getArray("adjacency")) {
        if (rows->size() != n.numOutputs)
          return fail(p, i, "adjacency must have one row per output");
        for (const llvm::json::Value &r : *rows) {
          const llvm::json::Array *row = r.getAsArray();
          if (!row || row->size() != m)
            return fail(p, i, "adjacency rows must have one entry per input");
          for (const llvm::json::Value &x : *row) {
            auto b = jsonInteger(x);
            if (!b || (*b != 0 && *b != 1))
              return fail(p, i, "adjacency entries must be 0 or 1");
            n.adjacency.push_back((uint8_t)*b);
          }
        }
      } else if (auto c = o->getString("control")) {
        if (*c == "gating") {
          n.control = Control::Gating;
          if (n.numOutputs % m)
            return fail(p, i, "gating where needs experts x inputs outputs");
        } else if (*c == "trajectory" || *c == "links") {
          n.control = *c == "links" ? Control::Links : Control::Trajectory;
          if (n.numOutputs != m || n.numOutputs > 64)
            return fail(p, i, *c + " where needs n = m <= 64");
        } else if (*c == "select") {
          n.control = Control::Select;
        } else if (*c == "route") {
          n.control = Control::Route;
          if (m != 1)
            return fail(p, i, "route where needs exactly one input");
        } else {
          return fail(p, i, "unknown control \"" + *c + "\"");
        }
      } else {
        return fail(p, i, "a where node needs \"adjacency\" or \"control\"");
      }
      break;
    }
    }
    p.valueBase.push_back(p.numValues);
    for (uint32_t r = 0; r < n.numOutputs; ++r) {
      p.producer.push_back((uint32_t)i);
      uses.push_back(0);
    }
    p.numValues += n.numOutputs;
    p.nodes.push_back(std::move(n));
  }
  for (uint32_t v = 0; v < p.numValues; ++v)
    if (uses[v] == 0)
      return fail(p, p.producer[v], "dangling stream: result " +
                                        llvm::Twine(v - p.valueBase[p.producer[v]]) +
                                        " is not consumed");
  if (outPorts.empty())
    return fail(p, p.nodes.size(), "the program has no output port");
  return p;
}

Executor::Executor(const Program &program) : prog(program) {
  const uint32_t numNodes = (uint32_t)prog.nodes.size();
  routeBase.assign(numNodes, 0);
  threshold.assign(numNodes, 1);
  width.assign(numNodes, 0);
  uint32_t numRoutes = 0, numSelects = 0;
  std::vector<uint32_t> deg(prog.numValues + 1, 0);
  for (uint32_t i = 0; i < numNodes; ++i) {
    const Node &n = prog.nodes[i];
    for (uint32_t v : n.inputs)
      ++deg[v];
    threshold[i] = n.threshold;
    width[i] = (uint32_t)n.inputs.size();
    if (n.kind == NodeKind::Where && (n.control == Control::Trajectory ||
                                      n.control == Control::Links)) {
      routeBase[i] = numRoutes;
      numRoutes += (uint32_t)n.inputs.size();
    } else if (n.kind == NodeKind::Where && n.control == Control::Select) {
      routeBase[i] = numSelects;
      numSelects += (uint32_t)n.inputs.size();
    }
  }
  consumerBegin.assign(prog.numValues + 1, 0);
  for (uint32_t v = 0; v < prog.numValues; ++v)
    consumerBegin[v + 1] = consumerBegin[v] + deg[v];
  consumers.resize(consumerBegin.back());
  std::vector<uint32_t> fill(consumerBegin.begin(), consumerBegin.end() - 1);
  for (uint32_t i = 0; i < numNodes; ++i) {
    const Node &n = prog.nodes[i];
    for (uint32_t k = 0; k < n.inputs.size(); ++k) {
      bool routed = n.kind == NodeKind::Where &&
                    (n.control == Control::Trajectory ||
                     n.control == Control::Links ||
                     n.control == Control::Select);
      consumers[fill[n.inputs[k]]++] = {
          i,
          n.numOutputs ? prog.valueBase[i] : 0,
          routed ? routeBase[i] + k : k,
          n.kind,
          n.control,
          (uint8_t)n.resetOnFire};
    }
  }
  routes.assign(numRoutes, 0);
  selects.assign(numSelects, -1);
  state.assign(numNodes, 0);
  done.assign(numNodes, 0);
  counts.assign(prog.numValues, 0);
  firings.resize(numNodes);
  dirtyNode.assign(numNodes, 0);
  queue.reserve(1024);
}

void Executor::reset() {
  for (uint32_t i : touchedNodes) {
    state[i] = 0;
    done[i] = 0;
    firings[i].clear();
    dirtyNode[i] = 0;
  }
  touchedNodes.clear();
  for (uint32_t v : touchedValues)
    counts[v] = 0;
  touchedValues.clear();
}

void Executor::push(uint32_t v0, uint32_t payload0, uint32_t tokens0) {
  if (tokens0 == 0)
    return;
  queue.clear();
  queue.push_back({v0, payload0, tokens0});
  for (size_t head = 0; head < queue.size(); ++head) {
    const Packet pk = queue[head];
    const uint32_t v = pk.value, payload = pk.payload, tokens = pk.tokens;
    if (counts[v] == 0)
      touchedValues.push_back(v);
    counts[v] += tokens;
    for (uint32_t c = consumerBegin[v]; c < consumerBegin[v + 1]; ++c) {
      const Consumer &cs = consumers[c];
      const uint32_t ni = cs.node;
      switch (cs.kind) {
      case NodeKind::Input:
        break;
      case NodeKind::Output:
        touchNode(ni);
        if (tokens == 1)
          firings[ni].push_back(v);
        else
          firings[ni].insert(firings[ni].end(), tokens, v);
        break;
      case NodeKind::When: {
        if (done[ni])
          break;
        touchNode(ni);
        int64_t &st = state[ni];
        st += tokens;
        const int64_t th = threshold[ni];
        if (st >= th) {
          if (cs.resetOnFire) {
            int64_t fires = st / th;
            st -= fires * th;
            queue.push_back({cs.out, payload, (uint32_t)fires});
          } else {
            done[ni] = 1;
            queue.push_back({cs.out, payload, 1});
          }
        }
        break;
      }
      case NodeKind::Where: {
        if (cs.control == Control::Static) {
          const Node &n = prog.nodes[ni];
          const uint32_t m = width[ni];
          for (uint32_t j = 0; j < n.numOutputs; ++j)
            if (n.adjacency[(size_t)j * m + cs.aux])
              queue.push_back({cs.out + j, payload, tokens});
        } else if (cs.control == Control::Gating) {
          const uint32_t m = width[ni];
          const uint32_t experts = prog.nodes[ni].numOutputs / m;
          const int32_t *row = gatingExperts + (size_t)payload * gatingTopK;
          for (unsigned j = 0; j < gatingTopK; ++j)
            if (row[j] >= 0 && (uint32_t)row[j] < experts)
              queue.push_back(
                  {cs.out + (uint32_t)row[j] * m + cs.aux, payload, tokens});
        } else if (cs.control == Control::Select) {
          const int32_t j = selects[cs.aux];
          if (j >= 0 && (uint32_t)j < prog.nodes[ni].numOutputs)
            queue.push_back({cs.out + (uint32_t)j, payload, tokens});
        } else if (cs.control == Control::Route) {
          const uint32_t outs = prog.nodes[ni].numOutputs;
          const int32_t *row = routeTable + (size_t)payload * routeWidth;
          for (unsigned j = 0; j < routeWidth; ++j)
            if (row[j] >= 0 && (uint32_t)row[j] < outs)
              queue.push_back({cs.out + (uint32_t)row[j], payload, tokens});
        } else {
          uint64_t dest = routes[cs.aux];
          while (dest) {
            unsigned j = __builtin_ctzll(dest);
            dest &= dest - 1;
            queue.push_back({cs.out + j, payload, tokens});
          }
        }
        break;
      }
      }
    }
  }
}
