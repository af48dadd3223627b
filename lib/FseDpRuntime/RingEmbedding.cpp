//===- RingEmbedding.cpp - FSE-DP virtualization rule V1 ------------------===//

#include "moesaic/Runtime/FseDp/RingEmbedding.h"

#include <map>
#include <set>

using namespace moesaic;
using namespace moesaic::fsedp;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string fsedp::verifyRing(const SystemModel &system,
                              const std::vector<unsigned> &order) {
  const std::vector<unsigned> &accel = system.acceleratorDevices();
  if (order.size() != accel.size())
    return "the ring has " + std::to_string(order.size()) +
           " positions but the system has " + std::to_string(accel.size()) +
           " chiplets";
  std::set<unsigned> want(accel.begin(), accel.end()), seen;
  for (unsigned d : order) {
    if (!want.count(d))
      return "ring position names device " + std::to_string(d) +
             ", which is not a chiplet of '" + system.name + "'";
    if (!seen.insert(d).second)
      return "chiplet '" + system.devices[d].name +
             "' appears twice on the ring";
  }
  if (order.size() < 2)
    return "";
  for (size_t p = 0; p < order.size(); ++p) {
    unsigned a = order[p], b = order[(p + 1) % order.size()];
    if (!system.directLink(a, b) || !system.directLink(b, a))
      return "logical neighbours " + std::to_string(p) + " ('" +
             system.devices[a].name + "') and " +
             std::to_string((p + 1) % order.size()) + " ('" +
             system.devices[b].name + "') are not joined by a link in both "
             "directions";
  }
  return "";
}

llvm::Expected<RingEmbedding>
fsedp::makeRing(const SystemModel &system, std::vector<unsigned> order,
                std::string rule) {
  std::string problem = verifyRing(system, order);
  if (!problem.empty())
    return error("'" + system.name + "': " + problem);
  RingEmbedding ring;
  ring.rule = std::move(rule);
  ring.logicalToPhysical = std::move(order);
  ring.physicalToLogical.assign(system.numDevices(), -1);
  for (unsigned p = 0; p < ring.size(); ++p)
    ring.physicalToLogical[ring.logicalToPhysical[p]] = p;
  return ring;
}

/// Boustrophedon Hamiltonian cycle of an R x C grid with R even: row 0 left
/// to right, then rows 1..R-1 snaking over columns C-1..1, then column 0
/// bottom to top. Returns (row, col) pairs.
static std::vector<std::pair<int64_t, int64_t>> snakeCycle(int64_t rows,
                                                           int64_t cols) {
  std::vector<std::pair<int64_t, int64_t>> cycle;
  if (cols == 1) { // a 2 x 1 column: the only cycle is the pair
    for (int64_t r = 0; r < rows; ++r)
      cycle.push_back({r, 0});
    return cycle;
  }
  for (int64_t c = 0; c < cols; ++c)
    cycle.push_back({0, c});
  for (int64_t r = 1; r < rows; ++r) {
    if (r % 2 == 1)
      for (int64_t c = cols - 1; c >= 1; --c)
        cycle.push_back({r, c});
    else
      for (int64_t c = 1; c < cols; ++c)
        cycle.push_back({r, c});
  }
  for (int64_t r = rows - 1; r >= 1; --r)
    cycle.push_back({r, 0});
  return cycle;
}

llvm::Expected<RingEmbedding> fsedp::embedRing(const SystemModel &system) {
  const std::vector<unsigned> &accel = system.acceleratorDevices();
  if (accel.empty())
    return error("'" + system.name + "' has no chiplets to stream between");
  if (accel.size() == 1)
    return makeRing(system, {accel[0]}, "ring");

  // Ring topology: the declared member order, if it covers every chiplet.
  for (const SystemModel::TopologyDecl &t : system.topologyDecls) {
    if (t.kind == TopologyKind::Ring && t.members.size() == accel.size())
      return makeRing(system, t.members, "ring");
  }

  // Mesh: the snake cycle (V1).
  for (const SystemModel::TopologyDecl &t : system.topologyDecls) {
    if (t.kind != TopologyKind::Mesh || t.members.size() != accel.size())
      continue;
    int64_t rows = t.rows, cols = t.cols;
    if (rows * cols != (int64_t)accel.size())
      return error("'" + system.name + "': the " + std::to_string(rows) +
                   " x " + std::to_string(cols) + " mesh is not fully "
                   "populated, so it has no snake ring embedding");
    if ((rows == 1 || cols == 1) && rows * cols > 2)
      return error("'" + system.name + "': a " + std::to_string(rows) +
                   " x " + std::to_string(cols) +
                   " mesh is a line, which has no Hamiltonian cycle, so "
                   "expert streams cannot follow a logical ring (declare a "
                   "ring topology if its ends are joined)");
    bool transpose = false;
    if (rows % 2 != 0) {
      if (cols % 2 != 0 && rows * cols > 1)
        return error("'" + system.name + "': a " + std::to_string(rows) +
                     " x " + std::to_string(cols) +
                     " mesh has no Hamiltonian cycle (both sides odd), so "
                     "expert streams cannot follow a logical ring");
      transpose = true;
    }
    std::map<std::pair<int64_t, int64_t>, unsigned> at;
    for (unsigned m : t.members)
      at[{system.devices[m].coord[0], system.devices[m].coord[1]}] = m;
    std::vector<unsigned> order;
    for (auto [a, b] : transpose ? snakeCycle(cols, rows)
                                 : snakeCycle(rows, cols)) {
      auto it = at.find(transpose ? std::make_pair(b, a)
                                  : std::make_pair(a, b));
      if (it == at.end())
        return error("'" + system.name + "': mesh position [" +
                     std::to_string(a) + ", " + std::to_string(b) +
                     "] holds no chiplet");
      order.push_back(it->second);
    }
    return makeRing(system, std::move(order), "snake");
  }

  // Anything else: the declaration order, if it happens to be a ring.
  std::vector<unsigned> order(accel.begin(), accel.end());
  if (verifyRing(system, order).empty())
    return makeRing(system, std::move(order), "ring");
  return error("'" + system.name + "' is neither a chiplet ring nor an "
               "even-sided mesh; FSE-DP needs a ring embedding (rule V1)");
}
