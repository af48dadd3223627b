//===- JsonIntegers.h - Integers of JSON input without UB -------*- C++ -*-===//
//
// llvm::json::Value::getAsInteger (LLVM 19) converts a number held as a
// double to int64_t when it is whole and at most double(INT64_MAX); that
// bound is 2^63 itself, so a document holding 9223372036854775808.0 (or
// 9223372036854775807.5, which parses to the same double) makes it convert
// 2^63, which is undefined behaviour (found by moesaic-fuzz-trace; x86
// gives INT64_MIN). Every reader of JSON input takes integers through these
// instead: such a number is not an integer, as any larger one is not.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_SUPPORT_JSONINTEGERS_H
#define MOESAIC_SUPPORT_JSONINTEGERS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>

namespace moesaic {

/// `v` as a 64-bit signed integer: a JSON integer in range, or a whole
/// double strictly inside (-2^63 - 1, 2^63); nothing otherwise.
inline std::optional<int64_t> jsonInteger(const llvm::json::Value &v) {
  // Held as a double (no unsigned form) and 2^63 or more: refused before
  // LLVM converts it. An integer such as INT64_MAX has an unsigned form.
  std::optional<double> d = v.getAsNumber();
  if (d && *d >= 0x1p63 && !v.getAsUINT64())
    return std::nullopt;
  return v.getAsInteger();
}

/// The integer under `key` of `o`, as jsonInteger reads it (nothing when
/// absent or not an integer), in place of json::Object::getInteger.
inline std::optional<int64_t> jsonInteger(const llvm::json::Object &o,
                                          llvm::StringRef key) {
  const llvm::json::Value *v = o.get(key);
  return v ? jsonInteger(*v) : std::nullopt;
}

} // namespace moesaic

#endif // MOESAIC_SUPPORT_JSONINTEGERS_H
