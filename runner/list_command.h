// `deepobs list`: the test problems with their defaults, parameter counts and data availability.
#pragma once

#include <ostream>

namespace deepobs::runner {

// argv[0] = "list"; accepts --data_dir DIR. Returns the exit code.
int list_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace deepobs::runner
