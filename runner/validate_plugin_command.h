// `deepobs validate-plugin lib.so [--device cpu] [--json] [--hp name=value] ...`: runs the checks
// of plugin_checks.h against an optimizer plugin, each in its own child process with a time
// limit, so a plugin that crashes, hangs or leaks is reported as failing while the validator
// itself survives. Prints a human-readable report (or, with --json, one JSON object) on `out`.
#pragma once

#include <ostream>

namespace deepobs::runner {

// Returns 0 when no check failed, 1 when one did, 2 for bad usage (message on `err`).
int validate_plugin_command(int argc, const char* const* argv, std::ostream& out,
                            std::ostream& err);

}  // namespace deepobs::runner
