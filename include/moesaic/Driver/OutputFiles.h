//===- OutputFiles.h - moe-opt's output files -------------------*- C++ -*-===//
//
// Every file moe-opt writes (-o, --report, --schedule, --timeline) is
// checked before the run, so a path that cannot be written fails at once
// rather than after a long simulation, and is written atomically after it.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DRIVER_OUTPUTFILES_H
#define MOESAIC_DRIVER_OUTPUTFILES_H

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace moesaic {

/// Prints "moe-opt: error: <flag> '<path>': <problem>" and returns false
/// when `path` cannot be an output file (its directory is missing or not
/// writable, or it is a directory); true otherwise ("-", stdout, always
/// can).
bool checkOutputPath(llvm::StringRef flag, llvm::StringRef path);

/// Writes `path` ("-": stdout) through a temporary file renamed over it once
/// complete, so a failed or interrupted run leaves neither a partial file
/// nor a temporary one and an earlier output stays intact. Returns the exit
/// code (1 after printing an `error:` line).
int writeOutputFile(llvm::StringRef path,
                    llvm::function_ref<void(llvm::raw_ostream &)> write);

} // namespace moesaic

#endif // MOESAIC_DRIVER_OUTPUTFILES_H
