//===- OutputFiles.cpp - moe-opt's output files ---------------------------===//

#include "moesaic/Driver/OutputFiles.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <optional>
#include <string>

using namespace moesaic;

static std::optional<std::string> outputPathProblem(llvm::StringRef path) {
  if (path == "-")
    return std::nullopt;
  if (path.empty())
    return std::string("the path is empty");
  if (llvm::sys::fs::is_directory(path))
    return std::string("is a directory");
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  if (dir.empty())
    dir = ".";
  if (!llvm::sys::fs::is_directory(dir))
    return "directory '" + dir.str() + "' does not exist";
  // The file is written as a temporary next to it, then renamed.
  if (llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
    return "directory '" + dir.str() + "' is not writable";
  return std::nullopt;
}

bool moesaic::checkOutputPath(llvm::StringRef flag, llvm::StringRef path) {
  std::optional<std::string> problem = outputPathProblem(path);
  if (!problem)
    return true;
  llvm::WithColor::error(llvm::errs(), "moe-opt")
      << flag << " '" << path << "': " << *problem << "\n";
  return false;
}

int moesaic::writeOutputFile(
    llvm::StringRef path, llvm::function_ref<void(llvm::raw_ostream &)> write) {
  if (llvm::Error e = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        write(os);
        return llvm::Error::success();
      })) {
    // LLVM's file errors already name the file ("'p': reason").
    std::string message = llvm::toString(std::move(e));
    std::string quoted = "'" + path.str() + "'";
    if (!llvm::StringRef(message).starts_with(quoted))
      message = quoted + ": " + message;
    llvm::WithColor::error(llvm::errs(), "moe-opt")
        << "cannot write " << message << "\n";
    return 1;
  }
  return 0;
}
