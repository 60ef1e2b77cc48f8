// `deepobs analyze`, `deepobs estimate-runtime`, `deepobs prepare-baselines`: thin launchers of
// the Python analyzer in tools/analyzer (Debian's /usr/bin/python3 with numpy, pandas and
// matplotlib; ARCHITECTURE §4).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace deepobs::runner {

// Runs `/usr/bin/python3 -m deepobs_analyzer <subcommand> <argv[1..]>` with PYTHONPATH pointing at
// the analyzer package and DEEPOBS_BINARY at this executable; returns the child's exit status
// (128 + signal when it was killed). argv[0] is the subcommand name. Overrides:
// $DEEPOBS_PYTHON (the interpreter), $DEEPOBS_ANALYZER_DIR (the folder holding deepobs_analyzer/).
int analyzer_command(const std::string& subcommand, int argc, char** argv, std::ostream& err);

// Runs `python3 -m deepobs_analyzer <args…>` the same way (same interpreter, package and
// environment) and returns its exit status; 3 (with a message naming `what`, e.g. "deepobs
// reproduce", and the install hint) when the interpreter or the package is missing. With
// `captured_stderr`, what the child writes to stderr is returned there instead of passing through.
int run_python_analyzer(const std::vector<std::string>& args, const std::string& what,
                        std::ostream& err, std::string* captured_stderr = nullptr);

}  // namespace deepobs::runner
