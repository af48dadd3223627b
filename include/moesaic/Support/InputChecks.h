//===- InputChecks.h - Checks before reading a user's file ------*- C++ -*-===//
//
// What every reader of a user's file checks before it parses anything:
// the path names a regular file (a FIFO would block, a device such as
// /dev/zero would be read without end), and JSON text is not nested
// deeper than a document of ours can be (llvm::json::parse recurses once
// per level: 50 000 '[' overflow the stack), and no object of it repeats a
// key (llvm::json keeps the last value silently: a hand-written hardware
// file's second "offchip_gbps" would win unnoticed); and MLIR text is not
// nested deeper than a model can be (MLIR's parser, verifier and printer
// recurse once per level: 5 000 nested modules or 20 000 '[' overflow the
// stack).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_SUPPORT_INPUTCHECKS_H
#define MOESAIC_SUPPORT_INPUTCHECKS_H

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"

#include <optional>
#include <string>
#include <vector>

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

namespace detail {
/// Follows a scan through "..." strings with backslash escapes: step(c)
/// is true when `c` belongs to a string, its quotes included.
struct StringScan {
  bool inString = false, escaped = false;
  bool step(char c) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
      return true;
    }
    return inString = c == '"';
  }
};
} // namespace detail

/// Whether `text` is MLIR bytecode (its magic number), not text.
inline bool isMlirBytecode(llvm::StringRef text) {
  return text.starts_with("ML\xefR");
}

/// Deepest nesting of JSON arrays and objects the readers accept; our
/// documents need at most 6.
inline constexpr unsigned kMaxJsonDepth = 256;

/// Why `text` cannot be handed to llvm::json::parse safely (nested deeper
/// than kMaxJsonDepth), or nothing. Brackets inside strings do not count.
inline std::optional<std::string> jsonNestingProblem(llvm::StringRef text) {
  unsigned depth = 0;
  detail::StringScan strings;
  for (char c : text) {
    if (strings.step(c))
      continue;
    if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return "arrays and objects nested deeper than " +
               std::to_string(kMaxJsonDepth) + " levels";
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

/// Where valid JSON `text` repeats a key in one object: "duplicate key
/// \"k\" (line L, column C)" for the first repetition, or nothing. Keys
/// are compared as written (escapes not decoded). Call it once
/// llvm::json::parse has accepted the text.
inline std::optional<std::string> jsonDuplicateKey(llvm::StringRef text) {
  struct Frame {
    bool object = false, expectKey = false;
    llvm::DenseSet<llvm::StringRef> keys;
  };
  // Frames are reused (not popped) so that their sets keep their room.
  std::vector<Frame> frames;
  size_t depth = 0;
  bool inString = false, escaped = false, isKey = false;
  size_t stringStart = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        inString = false;
        if (isKey) {
          Frame &top = frames[depth - 1];
          top.expectKey = false;
          llvm::StringRef key = text.slice(stringStart, i);
          if (!top.keys.insert(key).second) {
            llvm::StringRef before = text.take_front(stringStart);
            size_t line = before.count('\n') + 1;
            size_t nl = before.rfind('\n');
            size_t column = nl == llvm::StringRef::npos ? stringStart
                                                        : stringStart - nl - 1;
            return "duplicate key \"" + key.str() + "\" (line " +
                   std::to_string(line) + ", column " +
                   std::to_string(column) + ")";
          }
        }
      }
      continue;
    }
    switch (c) {
    case '"':
      inString = true;
      stringStart = i + 1;
      isKey = depth > 0 && frames[depth - 1].object &&
              frames[depth - 1].expectKey;
      break;
    case '{':
    case '[':
      if (depth == frames.size())
        frames.emplace_back();
      frames[depth].object = c == '{';
      frames[depth].expectKey = c == '{';
      frames[depth].keys.clear();
      ++depth;
      break;
    case '}':
    case ']':
      if (depth > 0)
        --depth;
      break;
    case ',':
      if (depth > 0 && frames[depth - 1].object)
        frames[depth - 1].expectKey = true;
      break;
    default:
      break;
    }
  }
  return std::nullopt;
}

/// Deepest nesting of brackets, braces, parentheses and angle brackets
/// the MLIR readers accept; a model of ours nests about 10 levels, and the
/// parser survives about 4 000 nested regions on an 8 MiB stack.
inline constexpr unsigned kMaxMlirDepth = 512;

/// Why MLIR `text` cannot be handed to MLIR's parser safely (nested deeper
/// than kMaxMlirDepth: "nested deeper than 512 levels (line L, column C)"),
/// or nothing. Strings and `//` comments do not count; `>` closes an angle
/// bracket unless it is part of `->` or `>=` (and `<=` opens none), so
/// function types and affine constraints keep the count. MLIR bytecode
/// (which starts with "ML\xefR") is not looked at.
inline std::optional<std::string> mlirNestingProblem(llvm::StringRef text) {
  if (isMlirBytecode(text))
    return std::nullopt;
  unsigned depth = 0;
  detail::StringScan strings;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    if (strings.step(c))
      continue;
    switch (c) {
    case '/':
      if (i + 1 < e && text[i + 1] == '/')
        while (i + 1 < e && text[i + 1] != '\n')
          ++i;
      break;
    case '<':
      if (i + 1 < e && text[i + 1] == '=')
        break;
      [[fallthrough]];
    case '(':
    case '[':
    case '{':
      if (++depth > kMaxMlirDepth) {
        llvm::StringRef before = text.take_front(i);
        size_t nl = before.rfind('\n');
        size_t column = nl == llvm::StringRef::npos ? i + 1 : i - nl;
        return "nested deeper than " + std::to_string(kMaxMlirDepth) +
               " levels (line " + std::to_string(before.count('\n') + 1) +
               ", column " + std::to_string(column) + ")";
      }
      break;
    case '>':
      if ((i > 0 && text[i - 1] == '-') || (i + 1 < e && text[i + 1] == '='))
        break;
      [[fallthrough]];
    case ')':
    case ']':
    case '}':
      if (depth > 0)
        --depth;
      break;
    default:
      break;
    }
  }
  return std::nullopt;
}

} // namespace moesaic

#endif // MOESAIC_SUPPORT_INPUTCHECKS_H
