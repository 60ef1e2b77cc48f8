// `deepobs info`: what this binary was built with and which devices it can use.
#pragma once

#include <ostream>

namespace deepobs::runner {

// Prints the build and device report to `out`; returns the process exit code (0).
int info_command(std::ostream& out);

}  // namespace deepobs::runner
