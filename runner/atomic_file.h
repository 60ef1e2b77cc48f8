// Writing result files so that a reader never sees half a file: the text goes to a temporary file
// in the same directory, is flushed to disk, and is then renamed over the destination.
#pragma once

#include <filesystem>
#include <string>

namespace deepobs::runner {

// Creates the parent directories, writes `text` and renames it into place. Throws deepobs::Error
// naming the path and the system's reason (e.g. "permission denied") when anything fails; the
// temporary file is removed then.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace deepobs::runner
