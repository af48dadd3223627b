//===- Random.h - The workload generator's PRNG -----------------*- C++ -*-===//
//
// xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64, with our
// own conversions to doubles and bounded integers, so a seed gives the same
// trace with every standard library and on every platform (the
// std::*_distribution classes are implementation-defined).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_LIB_WORKLOAD_RANDOM_H
#define MOESAIC_LIB_WORKLOAD_RANDOM_H

#include <cstdint>

namespace moesaic::workload {

inline uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Xoshiro256 {
public:
  explicit Xoshiro256(uint64_t seed) {
    uint64_t sm = seed;
    for (uint64_t &w : s)
      w = splitmix64(sm);
  }
  uint64_t next() {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
  /// Uniform in [0, 1): the top 53 bits.
  double uniform() { return (double)(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [0, n) (Lemire's multiply-shift; the bias is below 2^-32
  /// for the n we use, and the result is the same everywhere).
  uint64_t below(uint64_t n) {
    return (uint64_t)(((unsigned __int128)next() * n) >> 64);
  }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s[4];
};

} // namespace moesaic::workload

#endif // MOESAIC_LIB_WORKLOAD_RANDOM_H
