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
/// be written in full) every whole page of a range of 1 MiB or more is also
/// faulted in by one madvise call: on the VMs we measured, a demand fault
/// costs about 3.5-12 us, and huge pages plus populating wrote 64 MB in
/// 6 ms against 200 ms with plain faults and 7-100 ms (varying with
/// fragmentation) with huge pages alone. The simulator's per-task arrays
/// of a million tasks (4-8 MB each, below the huge-page threshold) took
/// 98 ms demand-faulted and 35-42 ms populated.
inline void adviseHugePages(const void *data, size_t bytes,
                            bool populate = false) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20, kPage = 4096;
  if (bytes < (uintptr_t(1) << 20))
    return;
  uintptr_t begin = ((uintptr_t)data + kHuge - 1) & ~(kHuge - 1);
  uintptr_t end = ((uintptr_t)data + bytes) & ~(kHuge - 1);
  if (end > begin && bytes >= 4 * kHuge)
    (void)madvise((void *)begin, end - begin, MADV_HUGEPAGE);
#if defined(MADV_POPULATE_WRITE)
  // Kernels before 5.14 reject it (EINVAL): the writes fault as before.
  // Populating covers every whole page, huge or not: one call instead of
  // a demand fault per 4 KiB page.
  uintptr_t first = ((uintptr_t)data + kPage - 1) & ~(kPage - 1);
  uintptr_t last = ((uintptr_t)data + bytes) & ~(kPage - 1);
  if (populate && last > first)
    (void)madvise((void *)first, last - first, MADV_POPULATE_WRITE);
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
