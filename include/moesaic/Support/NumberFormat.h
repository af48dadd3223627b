//===- NumberFormat.h - Numbers as users type them --------------*- C++ -*-===//
//
// The shortest decimal form of a double that reads back as exactly the same
// value (0.05, not 0.050000000000000003 or 5.000000e-02), for strings that
// users read and tools parse again (workload specs, option defaults), and
// byte counts in binary units with one decimal (1.4 MiB) for messages and
// the text report.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_SUPPORT_NUMBERFORMAT_H
#define MOESAIC_SUPPORT_NUMBERFORMAT_H

#include <cstdio>
#include <cstdlib>
#include <string>

namespace moesaic {

inline std::string shortestRoundTrip(double v) {
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

/// `bytes` in the largest binary unit (B, KiB, ... TiB) that keeps it at
/// 1 or more, with one decimal: "1.4 MiB".
inline std::string humanBytes(double bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
  return buf;
}

} // namespace moesaic

#endif // MOESAIC_SUPPORT_NUMBERFORMAT_H
