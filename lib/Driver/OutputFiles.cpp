//===- OutputFiles.cpp - moe-opt's output files ---------------------------===//

#include "moesaic/Driver/OutputFiles.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

using namespace moesaic;

/// An existing path that is neither a regular file nor a directory (a
/// device such as /dev/full or /dev/stdout, a FIFO) is written in place:
/// renaming a temporary over it would replace the device node (as root) or
/// need a writable /dev.
static bool writtenInPlace(llvm::StringRef path) {
  llvm::sys::fs::file_status status;
  if (path == "-" || llvm::sys::fs::status(path, status))
    return false;
  return status.type() != llvm::sys::fs::file_type::regular_file &&
         status.type() != llvm::sys::fs::file_type::directory_file;
}

static std::optional<std::string> outputPathProblem(llvm::StringRef path) {
  if (path == "-")
    return std::nullopt;
  if (path.empty())
    return std::string("the path is empty");
  if (llvm::sys::fs::is_directory(path))
    return std::string("is a directory");
  if (writtenInPlace(path))
    return std::nullopt;
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

/// The stream's write error, cleared (a raw_fd_ostream destroyed with one
/// aborts the program: "IO failure on output stream").
static std::error_code takeError(llvm::raw_fd_ostream &os) {
  os.flush();
  std::error_code ec = os.error();
  os.clear_error();
  return ec;
}

static int cannotWrite(llvm::StringRef path, std::string message) {
  // LLVM's file errors already name the file ("'p': reason").
  std::string quoted = path == "-" ? "standard output" : "'" + path.str() + "'";
  if (!llvm::StringRef(message).starts_with(quoted))
    message = quoted + ": " + message;
  llvm::WithColor::error(llvm::errs(), "moe-opt")
      << "cannot write " << message << "\n";
  return 1;
}

int moesaic::writeOutputFile(
    llvm::StringRef path, llvm::function_ref<void(llvm::raw_ostream &)> write) {
  if (path == "-") {
    write(llvm::outs());
    if (std::error_code ec = takeError(llvm::outs()))
      return cannotWrite(path, ec.message());
    return 0;
  }
  if (writtenInPlace(path)) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return cannotWrite(path, ec.message());
    write(os);
    if ((ec = takeError(os)))
      return cannotWrite(path, ec.message());
    return 0;
  }
  // A temporary next to the file, renamed over it once complete and
  // flushed without error: a failed run (a full disk included) leaves an
  // existing file as it was. (llvm::writeToOutput renames without looking
  // at the stream's error, then aborts: "IO failure on output stream".)
  unsigned mode = llvm::sys::fs::all_read | llvm::sys::fs::all_write;
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(path + ".temp-%%%%%%", mode);
  if (!temp)
    return cannotWrite(path, llvm::toString(temp.takeError()));
  std::error_code ec;
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    write(os);
    ec = takeError(os);
  }
  if (ec) {
    llvm::consumeError(temp->discard());
    return cannotWrite(path, ec.message());
  }
  if (llvm::Error e = temp->keep(path))
    return cannotWrite(path, llvm::toString(std::move(e)));
  return 0;
}
