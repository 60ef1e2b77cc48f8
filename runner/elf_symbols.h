// The dynamic symbols a shared library exports, read from its ELF file (no dlopen: reading cannot
// run any of the library's code). `deepobs validate-plugin` checks with it that a plugin exports
// only deepobs_optimizer_entry.
#pragma once

#include <string>
#include <vector>

namespace deepobs::runner {

// Names of the symbols in the .dynsym table of the 64-bit little-endian ELF file at `path` that are
// defined in it (not undefined references), global, weak or unique, and of default or protected
// visibility: what another object can bind to. Throws deepobs::Error naming the file for a file
// that cannot be read, is not a 64-bit little-endian ELF shared object or is truncated.
std::vector<std::string> exported_dynamic_symbols(const std::string& path);

}  // namespace deepobs::runner
