//===- HugePages.h - Transparent huge pages for large fresh arrays --------===//
//
// Speed (docs/performance.md): a 64-step DeepSeek-V3 evaluation touches
// ~300 MB of task-graph and simulator arrays for the first time; with
// 4 KiB pages that is ~70,000 page faults plus TLB misses, about a quarter
// of its CPU time. Advising huge pages on the untouched storage cuts the
// faults ~6x. Advice only: without THP (or off Linux) nothing changes.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_LIB_PERF_HUGEPAGES_H
#define MOESAIC_LIB_PERF_HUGEPAGES_H

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace moesaic::perf {

/// Advises huge pages on the whole 2 MiB pages inside [data, data + bytes)
/// when that range is large (>= 8 MiB). With `populate` (storage about to
/// be written in full) the pages are also faulted in by one madvise call:
/// on the VMs we measured, a demand fault costs about 3.5 us, and
/// huge pages plus populating wrote 64 MB in 6 ms against 200 ms with
/// plain faults and 7-100 ms (varying with fragmentation) with huge pages
/// alone.
inline void adviseHugePages(const void *data, size_t bytes,
                            bool populate = false) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  if (bytes < 4 * kHuge)
    return;
  uintptr_t begin = ((uintptr_t)data + kHuge - 1) & ~(kHuge - 1);
  uintptr_t end = ((uintptr_t)data + bytes) & ~(kHuge - 1);
  if (end <= begin)
    return;
  (void)madvise((void *)begin, end - begin, MADV_HUGEPAGE);
#if defined(MADV_POPULATE_WRITE)
  // Kernels before 5.14 reject it (EINVAL): the writes fault as before.
  if (populate)
    (void)madvise((void *)begin, end - begin, MADV_POPULATE_WRITE);
#endif
#else
  (void)data;
  (void)bytes;
  (void)populate;
#endif
}

/// v.assign(n, value), first advising huge pages on fresh storage.
template <typename T>
void assignFresh(std::vector<T> &v, size_t n, const T &value) {
  if (v.capacity() < n) {
    std::vector<T>().swap(v);
    v.reserve(n);
    adviseHugePages(v.data(), n * sizeof(T), /*populate=*/true);
  }
  v.assign(n, value);
}

} // namespace moesaic::perf

#endif // MOESAIC_LIB_PERF_HUGEPAGES_H
