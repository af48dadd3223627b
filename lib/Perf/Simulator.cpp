//===- Simulator.cpp - Event-driven execution of a task graph --------------===//
//
// Non-preemptive list scheduling over exclusive resources. Resources are
// numbered: device d has compute engine 2d and memory engine 2d+1; directed
// link l is resource 2N+l. A task needs a span of resources (stored once per
// device or per route in a shared pool, so no per-task allocation) and starts
// at the first event time at which its dependencies are done and every
// resource in its span is free. Tasks that cannot start wait in the queue of
// one busy resource they need; when that resource frees, its best waiter is
// retried first. Waiting tasks that need the same resources (one route, one
// device's engines) queue behind the best of them: they fail whenever it
// does and cannot start while it waits. Candidates are tried in order of
// (ready time, priority, id), which makes the run deterministic. A transfer
// holds every link of its route while its bytes cross (bytes / the slowest
// link's bandwidth) and arrives the route's latency later: latency delays a
// message without occupying the links, as on any pipelined network.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Perf/Simulator.h"
#include "HugePages.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace moesaic;
using namespace moesaic::perf;

namespace {

/// Resources and duration of a task, given pools of resource spans.
struct Span {
  uint32_t begin = 0, len = 0;
};

double computeUs(const Task &t, const Device &d) {
  double tflops = t.tflops > 0 ? t.tflops : d.peakFor("bf16");
  double c = t.flops > 0 ? (tflops > 0 ? flopsToUs(t.flops, tflops) : INFINITY)
                         : 0.0;
  double m = t.bytes > 0
                 ? (d.offchipGBps > 0 ? bytesToUs(t.bytes, d.offchipGBps)
                                      : INFINITY)
                 : 0.0;
  return std::max(c, m);
}

/// A broken estimate: such a task never ends, like an unreachable one (a
/// NaN end time would never compare equal to the clock: the run would spin).
bool sizeIsNaN(const Task &t) {
  return std::isnan(t.flops) || std::isnan(t.bytes);
}

double loadUs(const Task &t, const Device &d) {
  if (t.bytes <= 0)
    return 0;
  return d.offchipGBps > 0 ? bytesToUs(t.bytes, d.offchipGBps) : INFINITY;
}

/// A task's rank among ready tasks: ready time, then priority, then id,
/// packed into one 128-bit integer whose unsigned order is that order
/// (ready times are never negative, so their IEEE bits order like their
/// values; the priority's sign bit is flipped). Speed (docs/performance.md):
/// one branch-free comparison instead of three, 16 bytes per queue entry.
using Key = unsigned __int128;
inline Key makeKey(double ready, int32_t priority, TaskId id) {
  uint64_t bits;
  std::memcpy(&bits, &ready, sizeof bits);
  return Key(bits) << 64 |
         uint64_t(uint32_t(priority) ^ 0x80000000u) << 32 | id;
}
inline TaskId idOf(Key k) { return (TaskId)k; }
/// The priority of a transfer's arrival event: its links freed at the
/// event of priority 0, its route's latency later it arrives.
constexpr int32_t kArrival = 1;
inline bool isArrival(Key k) {
  return uint32_t(k >> 32) == (uint32_t(kArrival) ^ 0x80000000u);
}
/// The time a key was made with.
inline double timeOf(Key k) {
  uint64_t bits = (uint64_t)(k >> 64);
  double t;
  std::memcpy(&t, &bits, sizeof t);
  return t;
}

/// A 4-ary min-heap of keys (half a binary heap's depth; a node's four
/// children share a cache line). Pop moves the hole down to a leaf along
/// the smallest children and sifts the last entry up from there: most
/// entries belong near the leaves. Keys are unique (a task waits in one
/// queue at a time; completion keys carry the task id), so entries leave in
/// the order of their keys, whatever the heap's shape.
class KeyQueue {
public:
  bool empty() const { return v.empty(); }
  size_t size() const { return v.size(); }
  Key top() const { return v.front(); }
  void reserve(size_t n) { v.reserve(n); }
  void clear() { v.clear(); }
  // Inlined: the run loop's hot path (GCC stops inlining them once the
  // loop grows).
  __attribute__((always_inline)) void push(Key k) {
    v.push_back(k);
    siftUp(v.size() - 1, k);
  }
  __attribute__((always_inline)) Key pop() {
    Key *h = v.data();
    Key best = h[0], last = v.back();
    size_t n = v.size() - 1;
    v.pop_back();
    if (n == 0)
      return best;
    size_t i = 0;
    for (size_t c; (c = 4 * i + 1) < n;) {
      size_t m = c;
      if (c + 3 < n) {
        size_t a = c + (h[c + 1] < h[c]);
        size_t b = c + 2 + (h[c + 3] < h[c + 2]);
        m = h[b] < h[a] ? b : a;
      } else {
        for (size_t j = c + 1; j < n; ++j)
          m = h[j] < h[m] ? j : m;
      }
      h[i] = h[m];
      i = m;
    }
    siftUp(i, last);
    return best;
  }
  /// Builds the heap from keys appended in any order.
  void append(Key k) { v.push_back(k); }
  void heapify() {
    std::vector<Key> keys;
    keys.swap(v);
    for (Key k : keys)
      push(k);
  }

private:
  /// Puts `k` into the hole at `i`, moving larger ancestors down.
  void siftUp(size_t i, Key k) {
    Key *h = v.data();
    while (i > 0) {
      size_t parent = (i - 1) / 4;
      if (!(k < h[parent]))
        break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = k;
  }

  std::vector<Key> v;
};

/// Keys in ascending order, for keys that mostly arrive in that order
/// (tasks join a waiting group in the order they fail, which is mostly the
/// order of their ready times): appending and taking the front are O(1),
/// a key that arrives out of order is inserted in place.
class SortedKeys {
public:
  bool empty() const { return first == v.size(); }
  void clear() {
    v.clear();
    first = 0;
  }
  void push(Key k) {
    if (empty()) {
      clear();
      v.push_back(k);
    } else if (v.back() < k) {
      v.push_back(k);
    } else {
      v.insert(std::upper_bound(v.begin() + first, v.end(), k), k);
    }
  }
  Key pop() {
    Key k = v[first++];
    if (first == v.size())
      clear();
    else if (first >= 1024 && 2 * first >= v.size()) {
      // A group that never empties: drop the taken front.
      v.erase(v.begin(), v.begin() + first);
      first = 0;
    }
    return k;
  }

private:
  std::vector<Key> v;
  size_t first = 0;
};

/// A route's resources and its standalone timing, per (src, dst) pair.
struct Route {
  Span span;
  uint32_t src = 0, dst = 0;
  double latencyUs = 0, slowestGBps = 0;
  /// A copy's route (Task::memoryCopy): the span starts with the source's
  /// memory engine and ends with the destination's, around the links, and
  /// the slowest bandwidth counts both memories.
  bool copy = false;
};

/// The simulator's state. Resources, routes and statistics persist across
/// windows (Simulator::run); the per-task arrays hold one window's tasks,
/// indexed by local id (task id - the window's first task), and are reused.
class Engine {
public:
  Engine(const SystemModel &s, const SimOptions &o)
      : sys(s), opts(o), n(s.numDevices()),
        numRes(2 * s.numDevices() + s.links.size()) {
    init();
  }

  void run(const TaskGraph &window);
  SimResult take();

  /// The last window's first task and its recorded start times.
  TaskId windowBase = 0;
  std::vector<double> startAt;
  /// Per task: how long it holds its resources, and for a transfer the
  /// latency of its route after that (it arrives dur + tail after its
  /// start; its links are free again after dur).
  std::vector<double> dur;
  std::vector<double> tail;

private:
  void init();
  Span spanOf(const Task &t);
  void resolve(Route &route);
  double durationOf(const Task &t, const Route *route);
  Key keyOf(TaskId t) const {
    return makeKey(readyAt[t], tasks[t].priority, t);
  }
  void pushCandidate(Key k);
  /// Records a problem; the first few verbatim, then only a count.
  void warn(std::string message) {
    if (++numWarnings <= kMaxWarnings)
      result.warnings.push_back(std::move(message));
  }
  static constexpr size_t kMaxWarnings = 8;
  size_t numWarnings = 0;
  void tryStart(Key key, double now);
  /// A task's resources free at the end of its hold...
  void release(TaskId t, double now);
  /// ... and it completes (its successors may start) `tail` later.
  void complete(TaskId t, double now);
  /// Moves the best waiter of `res` into the candidates when `res` is free.
  void pullWaiters(uint32_t res) {
    if (hot[res])
      pushCandidate(takeWaiter(res));
  }
  /// Removes the best waiter of `res` (which has one).
  Key takeWaiter(uint32_t res);
  /// Keeps hot[res] == (!busy[res] && !waiters[res].empty()) and numHot.
  void setHot(uint32_t res, bool h) {
    if (hot[res] != h) {
      hot[res] = h;
      numHot += h ? 1 : -1;
    }
  }

  const SystemModel &sys;
  const SimOptions &opts;
  unsigned n;
  size_t numRes;
  /// The window being run: its tasks by local id.
  const Task *tasks = nullptr;
  /// Simulated time: the last event's, where the next window starts.
  double now = 0;

  // Resource spans: pool[span.begin, span.begin + span.len).
  std::vector<uint32_t> pool;
  std::vector<Span> engineSpan; // per device: [c], [c, m], [m]
  // Speed (docs/performance.md): per (src, dst) an index into `routes`
  // (~0u: no transfer uses the pair), 4 bytes per pair instead of a whole
  // Route, so a 32x32 mesh's 10^6 pairs cost 4 MB, not 32 MB to clear.
  std::vector<uint32_t> routeIndex;
  /// The same for copies (Task::memoryCopy), allocated at the first one.
  std::vector<uint32_t> copyIndex;
  std::vector<Route> routes; // the pairs transfers use, lazily resolved

  std::vector<Span> span;
  std::vector<double> readyAt;
  std::vector<uint32_t> pending;
  std::vector<uint32_t> succBegin, succ;
  std::vector<uint8_t> busy;
  // Speed (docs/performance.md): resources that are free and still have
  // waiters, as a flag per resource and a count. Such a resource exists only
  // while the waiters of a freed resource are being pulled one at a time, so
  // a task that fails to start mostly finds none among its other resources
  // and skips walking its (up to 62-link) route a second time.
  std::vector<uint8_t> hot;
  size_t numHot = 0;
  std::vector<KeyQueue> waiters;
  // Speed (docs/performance.md): waiting tasks that need the same span
  // (one route, or one device's engines) form a group. Only the group's
  // head (its best waiting task) sits in a resource's queue; the others
  // wait in `members`: whenever the head fails to start they would fail too
  // (nothing frees between two tries at one event time), and while the head
  // waits for a busy resource of their common span so do they. When the
  // head starts, the best member becomes the head and waits for the span's
  // first resource, which the head now holds. The pool word before a span
  // (its header) says who waits: no task (kNoWaiter), one task (its local
  // id | kLone: most waits, one read and one write next to the span), or
  // a group slot. Slots are recycled, so the few in use stay in cache.
  // (A window holds fewer than 2^31 tasks: its arrays would not fit.)
  static constexpr uint32_t kNoWaiter = ~0u, kLone = 0x80000000u;
  struct Group {
    uint32_t head = ~0u; // local task id
    uint32_t header = 0; // the pool word naming this slot
    Key headKey = 0;
    SortedKeys members;
  };
  std::vector<Group> groups;
  std::vector<uint32_t> freeGroups;
  /// Parks `id` (key `key`), which found `res` of its span `s` busy.
  void wait(Span s, uint32_t res, TaskId id, Key key);
  /// `wait` when another task of the span waits too.
  void joinGroup(Span s, uint32_t res, TaskId id, Key key);
  /// Called when `id`, with span `s`, starts while a group waits for `s`.
  void leaveGroup(Span s, TaskId id);
  KeyQueue candidates;
  /// Waiters a failed start pulled (tryStart), for the run loop.
  std::vector<Key> drained;
  // Per layer (flat while running; SimResult::layers at the end).
  std::vector<LayerStats> layers;
  // Events: earliest first, then lowest id: the end of a task's hold (keys
  // of the time, priority 0 and the id) and a transfer's arrival its
  // route's latency later (priority kArrival).
  KeyQueue events;
  std::vector<int64_t> onchip;
  // Per link: latency in us (latencyNs * 1e-3) and bandwidth.
  std::vector<double> linkLatencyUs, linkGBps;
  SimResult result;
};

Span Engine::spanOf(const Task &t) {
  switch (t.kind) {
  case TaskKind::Barrier:
    return {};
  case TaskKind::Compute:
    if (t.device >= n)
      return {};
    return engineSpan[3 * t.device + (t.bytes > 0 ? 1 : 0)];
  case TaskKind::Load:
    if (t.device >= n)
      return {};
    return engineSpan[3 * t.device + 2];
  case TaskKind::Transfer:
    // Resolved by run() for every transfer that uses a route.
    return {};
  }
  return {};
}

void Engine::resolve(Route &route) {
  // The route's links go straight into the pool (reserved), then become
  // resource numbers; the link facts come from compact per-link arrays.
  pool.push_back(kNoWaiter); // header: who waits for this span
  uint32_t begin = pool.size();
  if (route.copy)
    pool.push_back(2 * route.src + 1);
  uint32_t links = pool.size();
  sys.appendRoute(route.src, route.dst, pool);
  double slowest = std::numeric_limits<double>::infinity();
  for (size_t k = links; k < pool.size(); ++k) {
    uint32_t l = pool[k];
    route.latencyUs += linkLatencyUs[l];
    slowest = std::min(slowest, linkGBps[l]);
    pool[k] = 2 * n + l;
  }
  if (route.copy) {
    if (pool.size() == links) { // unreachable: no span, like a transfer's
      pool.resize(begin);
      route.span = {begin, 0};
      return;
    }
    pool.push_back(2 * route.dst + 1);
    // A memory without bandwidth never completes the copy.
    slowest = std::min({slowest, sys.devices[route.src].offchipGBps,
                        sys.devices[route.dst].offchipGBps});
  }
  route.slowestGBps = slowest;
  route.span = {begin, (uint32_t)(pool.size() - begin)};
}

double Engine::durationOf(const Task &t, const Route *route) {
  if (sizeIsNaN(t))
    return INFINITY;
  switch (t.kind) {
  case TaskKind::Barrier:
    return 0;
  case TaskKind::Compute:
  case TaskKind::Load:
    if (t.device >= n) {
      warn("task on unknown device " + std::to_string(t.device) +
           " takes no time");
      return 0;
    }
    return t.kind == TaskKind::Compute ? computeUs(t, sys.devices[t.device])
                                       : loadUs(t, sys.devices[t.device]);
  case TaskKind::Transfer: {
    if (t.device == t.dst || t.bytes <= 0)
      return 0;
    if (t.device >= n || t.dst >= n) {
      warn("transfer between unknown devices " + std::to_string(t.device) +
           " -> " + std::to_string(t.dst) + " takes no time");
      return 0;
    }
    if (!route || route->span.len == 0 || !(route->slowestGBps > 0))
      return INFINITY; // unreachable (or a copy to or from no memory)
    // The links are held while the bytes cross them; the route's latency
    // delays the arrival without holding them (run() sets the tail).
    return bytesToUs(t.bytes, route->slowestGBps);
  }
  }
  return 0;
}

inline __attribute__((always_inline)) void Engine::pushCandidate(Key k) {
  // Its resources are read when it is tried, after the better candidates.
  TaskId id = idOf(k);
  __builtin_prefetch(&span[id]);
  __builtin_prefetch(&tasks[id]);
  __builtin_prefetch(reinterpret_cast<const char *>(&tasks[id]) + 64);
  candidates.push(k);
}

inline __attribute__((always_inline)) Key Engine::takeWaiter(uint32_t res) {
  KeyQueue &w = waiters[res];
  Key k = w.pop();
  setHot(res, !w.empty());
  return k;
}

inline void Engine::wait(Span s, uint32_t res, TaskId id, Key key) {
  uint32_t &header = pool[s.begin - 1];
  if (header == kNoWaiter || header == (id | kLone)) {
    waiters[res].push(key);
    header = id | kLone;
    return;
  }
  joinGroup(s, res, id, key);
}

// Out of line, like leaveGroup's work: rare outside bursts on one span, and
// the run loop stays small enough for the compiler to inline its hot path.
__attribute__((noinline)) void Engine::joinGroup(Span s, uint32_t res,
                                                 TaskId id, Key key) {
  uint32_t &header = pool[s.begin - 1];
  if (header & kLone) {
    // A second task of the span waits: the first becomes a group's head.
    TaskId other = header & ~kLone;
    if (freeGroups.empty()) {
      freeGroups.push_back(groups.size());
      groups.emplace_back();
    }
    uint32_t slot = freeGroups.back();
    freeGroups.pop_back();
    Group &g = groups[slot];
    g.header = s.begin - 1;
    g.head = other;
    g.headKey = keyOf(other);
    header = slot;
  }
  Group &g = groups[header];
  if (g.head != id && g.headKey < key) {
    g.members.push(key);
    return;
  }
  waiters[res].push(key);
  g.head = id;
  g.headKey = key;
}

__attribute__((noinline)) void Engine::leaveGroup(Span s, TaskId id) {
  uint32_t &header = pool[s.begin - 1];
  Group &g = groups[header];
  if (g.head != id)
    return;
  if (g.members.empty()) {
    freeGroups.push_back(header);
    header = kNoWaiter;
    return;
  }
  g.headKey = g.members.pop();
  g.head = idOf(g.headKey);
  // The span's first resource is now busy (this task holds it): not hot.
  waiters[pool[s.begin]].push(g.headKey);
}

inline __attribute__((always_inline)) void Engine::tryStart(Key key,
                                                     double now) {
  TaskId id = idOf(key);
  Span s = span[id];
  const uint32_t *r = pool.data() + s.begin;
  for (uint32_t i = 0; i < s.len; ++i) {
    if (busy[r[i]]) {
      wait(s, r[i], id, key);
      // The task's other free resources may still hold waiters (pulled one
      // at a time): the next of them gets its chance (r[i] is busy, so it
      // is not hot). They go to `drained`: the run loop tries a lone one at
      // once when it ranks before every candidate.
      if (numHot)
        for (uint32_t j = 0; j < s.len; ++j)
          if (hot[r[j]])
            drained.push_back(takeWaiter(r[j]));
      return;
    }
  }
  for (uint32_t i = 0; i < s.len; ++i) {
    busy[r[i]] = 1;
    setHot(r[i], false);
  }
  if (s.len) {
    uint32_t &header = pool[s.begin - 1];
    uint32_t h = header;
    if (__builtin_expect(!(h & kLone), 0))
      leaveGroup(s, id); // a group waits
    else // branch-free: whether it waited alone is data
      header = h == (id | kLone) ? kNoWaiter : h;
  }
  const Task &t = tasks[id];
  if (opts.recordTasks)
    startAt[id] = now;
  events.push(makeKey(now + dur[id], 0, id));
  double end = now + dur[id] + tail[id];
  if (t.allocBytes != 0) {
    uint32_t d = t.kind == TaskKind::Transfer ? t.dst : t.device;
    if (d < n) {
      onchip[d] += t.allocBytes;
      DeviceStats &ds = result.devices[d];
      ds.peakOnchipBytes = std::max(ds.peakOnchipBytes, onchip[d]);
    }
  }
  if (t.layer >= 0) {
    LayerStats &ls = layers[t.layer];
    if (!ls.seen || now < ls.startUs)
      ls.startUs = now;
    if (!ls.seen || end > ls.endUs)
      ls.endUs = end;
    ls.seen = true;
    if (t.phase == Phase::Moe) {
      if (!ls.moeSeen || now < ls.moeStartUs)
        ls.moeStartUs = now;
      if (!ls.moeSeen || end > ls.moeEndUs)
        ls.moeEndUs = end;
      ls.moeSeen = true;
    }
  }
}

inline __attribute__((always_inline)) void Engine::release(TaskId id,
                                                    double now) {
  const Task &t = tasks[id];
  Span s = span[id];
  const uint32_t *r = pool.data() + s.begin;
  double d = dur[id];
  for (uint32_t i = 0; i < s.len; ++i) {
    busy[r[i]] = 0;
    setHot(r[i], !waiters[r[i]].empty());
  }
  if (t.freeBytes != 0) {
    uint32_t dev = t.kind == TaskKind::Transfer ? t.dst : t.device;
    if (dev < n)
      onchip[dev] -= t.freeBytes;
  }
  switch (t.kind) {
  case TaskKind::Compute:
    if (t.device < n) {
      DeviceStats &ds = result.devices[t.device];
      ds.computeBusyUs += d;
      ds.flops += t.flops;
      if (t.bytes > 0) {
        ds.memoryBusyUs += d;
        ds.offchipBytes += t.bytes;
      }
    }
    if (t.phase == Phase::Moe)
      result.moeComputeUs += d;
    break;
  case TaskKind::Load:
    if (t.device < n) {
      DeviceStats &ds = result.devices[t.device];
      ds.memoryBusyUs += d;
      ds.offchipBytes += t.bytes;
    }
    if (t.phase == Phase::Moe)
      result.moeComputeUs += d;
    break;
  case TaskKind::Transfer: {
    // A copy's span is the source's memory engine, the links, the
    // destination's memory engine: it reads and writes off-chip memory.
    uint32_t ends = t.memoryCopy && s.len ? 1 : 0;
    for (uint32_t i = ends; i + ends < s.len; ++i) {
      LinkStats &ls = result.links[r[i] - 2 * n];
      ls.bytes += t.bytes;
      ls.busyUs += d;
    }
    if (ends)
      for (uint32_t dev : {t.device, t.dst}) {
        DeviceStats &ds = result.devices[dev];
        ds.memoryBusyUs += d;
        ds.offchipBytes += t.bytes;
      }
    if (s.len) {
      result.commBytes += t.bytes;
      result.byteHops += t.bytes * (s.len - 2 * ends);
    }
    if (t.phase == Phase::Moe)
      result.moeCommUs += d + tail[id];
    break;
  }
  case TaskKind::Barrier:
    break;
  }
  if (t.phase == Phase::Migration)
    result.migrationUs += d + tail[id];
  if (tail[id] > 0)
    events.push(makeKey(now + tail[id], kArrival, id));
  else
    complete(id, now);
  // The freed resources' best waiters compete with the newly ready tasks.
  for (uint32_t i = 0; i < s.len; ++i)
    pullWaiters(r[i]);
}

inline __attribute__((always_inline)) void Engine::complete(TaskId id,
                                                     double now) {
  result.makespanUs = std::max(result.makespanUs, now);
  ++result.events;
  for (uint32_t i = succBegin[id]; i < succBegin[id + 1]; ++i) {
    TaskId sId = succ[i];
    readyAt[sId] = std::max(readyAt[sId], now);
    if (--pending[sId] == 0)
      pushCandidate(keyOf(sId));
  }
}



void Engine::init() {
  result.devices.assign(n, {});
  result.links.assign(sys.links.size(), {});
  onchip.assign(n, 0);
  busy.assign(numRes, 0);
  hot.assign(numRes, 0);
  waiters.assign(numRes, {});
  // Engine spans per device.
  engineSpan.resize(3 * n);
  for (unsigned d = 0; d < n; ++d) {
    // [header] c [header] c m [header] m: each span has its group header.
    uint32_t b = pool.size();
    for (uint32_t w :
         {kNoWaiter, 2 * d, kNoWaiter, 2 * d, 2 * d + 1, kNoWaiter, 2 * d + 1})
      pool.push_back(w);
    engineSpan[3 * d] = {b + 1, 1};
    engineSpan[3 * d + 1] = {b + 3, 2};
    engineSpan[3 * d + 2] = {b + 6, 1};
  }
  routeIndex.assign((size_t)n * n, ~0u);
  linkLatencyUs.resize(sys.links.size());
  linkGBps.resize(sys.links.size());
  for (size_t l = 0; l < sys.links.size(); ++l) {
    linkLatencyUs[l] = sys.links[l].latencyNs * 1e-3;
    linkGBps[l] = sys.links[l].bandwidthGBps;
  }
  candidates.reserve(1024);
  events.reserve(1024);
}

void Engine::run(const TaskGraph &window) {
  const std::vector<Task> &held = window.all();
  size_t numTasks = held.size();
  TaskId base = window.firstTask();
  tasks = held.data();
  windowBase = base;
  uint64_t eventsBefore = result.events;
  // Per-task arrays on huge pages when large (HugePages.h), reused by the
  // next window. Task start times are kept only when recorded.
  assignFresh(span, numTasks, Span{});
  assignFresh(dur, numTasks, 0.0);
  assignFresh(tail, numTasks, 0.0);
  // A window's tasks are ready no earlier than it starts: its dependencies
  // in earlier windows are done by then.
  assignFresh(readyAt, numTasks, now);
  if (opts.recordTasks)
    assignFresh(startAt, numTasks, 0.0);
  assignFresh(pending, numTasks, 0u);
  assignFresh(succBegin, numTasks + 1, 0u);

  // The pairs transfers use, and the pool room their routes take, so the
  // pool is sized once (it grew by doubling: copies of up to 40 MB). Speed
  // (docs/performance.md): a transfer's route index is kept in its span
  // meanwhile, so the 4-byte-per-pair table is read once per transfer, not
  // three times. Routes persist across windows.
  size_t firstNewRoute = routes.size();
  // At most one new route per task and per device pair: room reserved once
  // (growth by doubling copied up to 14 MB of routes and faulted in twice
  // that).
  routes.reserve(routes.size() +
                 std::min(numTasks, 2 * (size_t)n * n - routes.size()));
  {
    size_t hops = 0;
    for (size_t i = 0; i < numTasks; ++i) {
      const Task &t = tasks[i];
      if (t.kind != TaskKind::Transfer || t.device >= n || t.dst >= n ||
          t.device == t.dst || t.bytes <= 0)
        continue;
      if (t.memoryCopy && copyIndex.empty())
        copyIndex.assign((size_t)n * n, ~0u);
      uint32_t &index = (t.memoryCopy ? copyIndex : routeIndex)[
          (size_t)t.device * n + t.dst];
      if (index == ~0u) {
        index = routes.size();
        routes.emplace_back();
        routes.back().src = t.device;
        routes.back().dst = t.dst;
        routes.back().copy = t.memoryCopy;
        // + header (+ the two memory engines of a copy)
        hops += 1 + std::max(sys.hops(t.device, t.dst), 0) +
                (t.memoryCopy ? 2 : 0);
      }
      span[i] = {index, ~0u};
    }
    size_t oldCapacity = pool.capacity();
    pool.reserve(pool.size() + hops);
    if (pool.capacity() != oldCapacity)
      adviseHugePages(pool.data() + pool.size(),
                      (pool.capacity() - pool.size()) * sizeof(uint32_t),
                      /*populate=*/true);
  }
  // Routes resolved in order of first use.
  for (size_t r = firstNewRoute; r < routes.size(); ++r)
    resolve(routes[r]);
  for (size_t i = 0; i < numTasks; ++i) {
    const Task &t = tasks[i];
    const Route *route = nullptr;
    if (span[i].len == ~0u) {
      route = &routes[span[i].begin];
      span[i] = route->span;
    } else {
      span[i] = spanOf(t);
    }
    dur[i] = durationOf(t, route);
    if (route && dur[i] > 0)
      tail[i] = route->latencyUs;
    if (!std::isfinite(dur[i]))
      warn("task " + std::to_string(base + i) + " never ends: " +
           (sizeIsNaN(t) ? std::string("its size is not a number")
            : t.kind == TaskKind::Transfer
                ? "device " + std::to_string(t.dst) + " is unreachable from " +
                      std::to_string(t.device)
                : "device " + std::to_string(t.device) +
                      " lacks the compute or memory bandwidth it needs"));
    if (t.layer >= 0 && (size_t)t.layer >= layers.size())
      layers.resize(t.layer + 1);
    // Dependencies on earlier windows' tasks are met.
    for (const TaskId *d = window.depsBegin(t); d != window.depsEnd(t); ++d)
      if (*d >= base) {
        ++pending[i];
        ++succBegin[*d - base + 1];
      }
  }
  for (size_t i = 0; i < numTasks; ++i)
    succBegin[i + 1] += succBegin[i];
  assignFresh(succ, (size_t)succBegin[numTasks], 0u);
  {
    std::vector<uint32_t> fill(succBegin.begin(), succBegin.end() - 1);
    for (size_t i = 0; i < numTasks; ++i) {
      const Task &t = tasks[i];
      for (const TaskId *d = window.depsBegin(t); d != window.depsEnd(t); ++d)
        if (*d >= base)
          succ[fill[*d - base]++] = (TaskId)i;
    }
  }

  for (size_t i = 0; i < numTasks; ++i)
    if (pending[i] == 0)
      candidates.append(keyOf((TaskId)i));
  candidates.heapify();

  for (;;) {
    // Start what can start now, best candidates first.
    while (!candidates.empty()) {
      Key k = candidates.pop();
      for (;;) {
        // The next candidate's resources load while this one is tried.
        if (!candidates.empty())
          __builtin_prefetch(pool.data() +
                             span[idOf(candidates.top())].begin);
        tryStart(k, now);
        if (drained.empty())
          break;
        // Speed (docs/performance.md): a failed start pulled the next
        // waiter of a free resource; when it ranks first it is tried
        // without a round trip through the candidates' heap.
        if (drained.size() == 1 &&
            (candidates.empty() || drained[0] < candidates.top())) {
          k = drained[0];
          drained.clear();
          continue;
        }
        for (Key d : drained)
          pushCandidate(d);
        drained.clear();
        break;
      }
    }
    if (events.empty())
      break;
    // Complete every task that ends at the next event time.
    now = timeOf(events.top());
    while (!events.empty() && timeOf(events.top()) == now) {
      Key k = events.pop();
      TaskId t = idOf(k);
      if (!events.empty()) {
        TaskId next = idOf(events.top());
        __builtin_prefetch(&tasks[next]);
        __builtin_prefetch(&span[next]);
        __builtin_prefetch(&dur[next]);
        __builtin_prefetch(&succBegin[next]);
      }
      if (isArrival(k))
        complete(t, now);
      else
        release(t, now);
    }
  }
  uint64_t ran = result.events - eventsBefore;
  if (ran != numTasks) {
    result.warnings.push_back(std::to_string(numTasks - ran) +
                              " tasks never ran (a dependency never "
                              "finished)");
    // What waits forever must not block the next window's resources.
    for (KeyQueue &w : waiters)
      w.clear();
    for (uint32_t i = 0; i < groups.size(); ++i)
      if (pool[groups[i].header] == i) {
        groups[i].members.clear();
        freeGroups.push_back(i);
      }
    for (const Route &route : routes)
      pool[route.span.begin - 1] = kNoWaiter;
    for (const Span &e : engineSpan)
      pool[e.begin - 1] = kNoWaiter;
    std::fill(hot.begin(), hot.end(), 0);
    numHot = 0;
  }
  tasks = nullptr;
}

SimResult Engine::take() {
  for (size_t l = 0; l < layers.size(); ++l)
    if (layers[l].seen)
      result.layers.emplace_hint(result.layers.end(), (int32_t)l, layers[l]);
  if (numWarnings > kMaxWarnings)
    result.warnings.push_back("... and " +
                              std::to_string(numWarnings - kMaxWarnings) +
                              " more problems");
  if (opts.recordTasks) {
    result.taskStart = std::move(startAt);
    result.taskEnd.resize(result.taskStart.size());
    for (size_t i = 0; i < result.taskStart.size(); ++i)
      result.taskEnd[i] = result.taskStart[i] + dur[i] + tail[i];
  }
  return std::move(result);
}

} // namespace

namespace moesaic::perf::detail {
class SimEngine : public Engine {
  using Engine::Engine;
};
} // namespace moesaic::perf::detail

double moesaic::perf::taskDurationUs(const Task &task,
                                     const SystemModel &system) {
  if (sizeIsNaN(task))
    return INFINITY;
  switch (task.kind) {
  case TaskKind::Barrier:
    return 0;
  case TaskKind::Compute:
    return task.device < system.numDevices()
               ? computeUs(task, system.devices[task.device])
               : 0;
  case TaskKind::Load:
    return task.device < system.numDevices()
               ? loadUs(task, system.devices[task.device])
               : 0;
  case TaskKind::Transfer:
    if (task.device == task.dst || task.bytes <= 0)
      return 0;
    {
      // Speed (docs/performance.md): strategies' analytic estimates call
      // this per transfer; a per-thread buffer saves an allocation each.
      static thread_local std::vector<unsigned> links;
      links.clear();
      system.appendRoute(task.device, task.dst, links);
      if (links.empty())
        return INFINITY;
      double lat = 0, slowest = std::numeric_limits<double>::infinity();
      for (unsigned l : links) {
        lat += system.links[l].latencyNs * 1e-3;
        slowest = std::min(slowest, system.links[l].bandwidthGBps);
      }
      if (task.memoryCopy)
        slowest = std::min({slowest, system.devices[task.device].offchipGBps,
                            system.devices[task.dst].offchipGBps});
      if (!(slowest > 0))
        return INFINITY;
      return lat + bytesToUs(task.bytes, slowest);
    }
  }
  return 0;
}

int64_t SimResult::peakOnchipBytes() const {
  int64_t peak = 0;
  for (const DeviceStats &d : devices)
    peak = std::max(peak, d.peakOnchipBytes);
  return peak;
}

Simulator::Simulator(const SystemModel &system, const SimOptions &options)
    : options(options), engine(std::make_unique<detail::SimEngine>(system, this->options)) {}

Simulator::~Simulator() = default;

void Simulator::run(const TaskGraph &window) { engine->run(window); }

TaskId Simulator::windowBase() const { return engine->windowBase; }

double Simulator::startUs(TaskId id) const {
  return engine->startAt[id - engine->windowBase];
}

double Simulator::endUs(TaskId id) const {
  size_t i = id - engine->windowBase;
  return engine->startAt[i] + engine->dur[i] + engine->tail[i];
}

SimResult Simulator::take() { return engine->take(); }

SimResult moesaic::perf::simulate(const TaskGraph &graph,
                                  const SystemModel &system,
                                  const SimOptions &options) {
  Simulator simulator(system, options);
  simulator.run(graph);
  return simulator.take();
}
