//===- InputChecks.h - Checks before reading a user's file ------*- C++ -*-===//
//
// What every reader of a user's file checks before it parses anything:
// the path names a regular file (a FIFO would block, a device such as
// /dev/zero would be read without end), and JSON text is not nested
// deeper than a document of ours can be (llvm::json::parse recurses once
// per level: 50 000 '[' overflow the stack).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_SUPPORT_INPUTCHECKS_H
#define MOESAIC_SUPPORT_INPUTCHECKS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"

#include <optional>
#include <string>

namespace moesaic {

/// Why `path` cannot be read as an input file (a directory, a FIFO, a
/// device), or nothing when it is a regular file or cannot be looked at
/// (missing, unreadable: the reader's own open reports that, as before).
inline std::optional<std::string> notARegularFile(llvm::StringRef path) {
  llvm::sys::fs::file_status status;
  if (llvm::sys::fs::status(path, status))
    return std::nullopt;
  switch (status.type()) {
  case llvm::sys::fs::file_type::regular_file:
    return std::nullopt;
  case llvm::sys::fs::file_type::directory_file:
    return std::string("is a directory");
  default:
    return std::string("not a regular file (a FIFO, a device or a socket)");
  }
}

/// Deepest nesting of JSON arrays and objects the readers accept; our
/// documents need at most 6.
inline constexpr unsigned kMaxJsonDepth = 256;

/// Why `text` cannot be handed to llvm::json::parse safely (nested deeper
/// than kMaxJsonDepth), or nothing. Brackets inside strings do not count.
inline std::optional<std::string> jsonNestingProblem(llvm::StringRef text) {
  unsigned depth = 0;
  bool inString = false, escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return "arrays and objects nested deeper than " +
               std::to_string(kMaxJsonDepth) + " levels";
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

} // namespace moesaic

#endif // MOESAIC_SUPPORT_INPUTCHECKS_H
