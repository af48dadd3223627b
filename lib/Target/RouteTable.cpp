//===- RouteTable.cpp - Routes of a finalized system, built on demand -----===//

#include "RouteTable.h"

#include <cstdlib>
#include <map>

using namespace moesaic;
using namespace moesaic::detail;

RouteTable::RouteTable(const SystemModel &system)
    : n(system.devices.size()), in(n),
      rows(new std::atomic<Row *>[system.devices.size()]) {
  for (unsigned i = 0; i < n; ++i)
    rows[i].store(nullptr, std::memory_order_relaxed);
  links.reserve(system.links.size());
  dstOf.reserve(system.links.size());
  for (unsigned i = 0; i < system.links.size(); ++i) {
    const Link &l = system.links[i];
    links.push_back({l.src, l.dst, l.latencyNs});
    dstOf.push_back(l.dst);
    in[l.dst].push_back(i);
  }
  // Each mesh member's link one step east/west/south/north (column first,
  // the usual XY routing).
  for (const SystemModel::TopologyDecl &t : system.topologyDecls) {
    if (t.kind != TopologyKind::Mesh)
      continue;
    Mesh mesh;
    mesh.memberOf.assign(n, -1);
    std::map<std::pair<int64_t, int64_t>, unsigned> at;
    for (unsigned m : t.members)
      at[{system.devices[m].coord[0], system.devices[m].coord[1]}] = m;
    for (unsigned s : t.members) {
      MeshMember member;
      member.device = s;
      member.row = system.devices[s].coord[0];
      member.col = system.devices[s].coord[1];
      const std::pair<int64_t, int64_t> to[4] = {{member.row, member.col + 1},
                                                 {member.row, member.col - 1},
                                                 {member.row + 1, member.col},
                                                 {member.row - 1, member.col}};
      for (int d = 0; d < 4; ++d) {
        member.step[d] = ~0u;
        auto next = at.find(to[d]);
        if (next != at.end())
          if (auto link = system.directLink(s, next->second))
            member.step[d] = *link;
      }
      mesh.memberOf[s] = mesh.members.size();
      mesh.members.push_back(member);
    }
    meshes.push_back(std::move(mesh));
  }
}

RouteTable::~RouteTable() {
  for (unsigned i = 0; i < n; ++i)
    delete rows[i].load(std::memory_order_relaxed);
}

const RouteTable::Row &RouteTable::build(unsigned dst) const {
  std::lock_guard<std::mutex> lock(buildMutex);
  if (const Row *r = rows[dst].load(std::memory_order_acquire))
    return *r;
  auto row = std::make_unique<Row>();
  row->next.assign(n, ~0u);
  row->hops.assign(n, -1);
  // Reverse breadth-first search from dst: fewest hops, ties to the
  // lower-latency, then lower-index link.
  std::vector<unsigned> queue;
  queue.reserve(n);
  std::vector<double> lat(n, 0);
  queue.push_back(dst);
  row->hops[dst] = 0;
  for (size_t head = 0; head < queue.size(); ++head) {
    unsigned v = queue[head];
    int dv = row->hops[v];
    for (unsigned li : in[v]) {
      unsigned u = links[li].src;
      double l = lat[v] + links[li].latencyNs;
      int16_t &du = row->hops[u];
      if (du < 0) {
        du = (int16_t)(dv + 1);
        lat[u] = l;
        row->next[u] = li;
        queue.push_back(u);
      } else if (du == dv + 1 && l < lat[u]) {
        lat[u] = l;
        row->next[u] = li;
      }
    }
  }
  // Between members of a mesh, dimension-order (XY) routing replaces the
  // search's choice: minimal too, and what hardware routers do. A later
  // mesh overrides an earlier one for devices in both.
  for (const Mesh &mesh : meshes) {
    int d = mesh.memberOf[dst];
    if (d < 0)
      continue;
    int64_t dr = mesh.members[d].row, dc = mesh.members[d].col;
    for (const MeshMember &s : mesh.members) {
      if (s.device == dst)
        continue;
      enum { East, West, South, North };
      int dir = s.col != dc ? (dc > s.col ? East : West)
                            : (dr > s.row ? South : North);
      unsigned link = s.step[dir];
      if (link == ~0u)
        continue;
      row->next[s.device] = link;
      row->hops[s.device] =
          (int16_t)(std::llabs(s.row - dr) + std::llabs(s.col - dc));
    }
  }
  Row *published = row.release();
  rows[dst].store(published, std::memory_order_release);
  return *published;
}
