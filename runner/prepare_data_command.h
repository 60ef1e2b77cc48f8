// `deepobs prepare-data <name>... [--data_dir DIR] [--force] [--copy] [--url_base URL]
// [--timeout SECONDS]`: downloads and verifies data sets (datasets/prepare_data.h), DeepOBS's
// deepobs_prepare_data.sh as a subcommand.
#pragma once

#include <ostream>

namespace deepobs::runner {

// Runs the command; argv[0] is "prepare-data". Progress goes to `out`, failures to `err`; every
// line is one message starting with "deepobs prepare-data: ". All names and options are checked
// before anything is fetched. Returns the process exit code: 0 when every named data set is ready
// (or needs nothing), 1 when one could not be prepared (download, disk or verification failure, a
// data set not supported yet), 2 for a usage error (unknown option or data set name, missing
// value, no name). --help prints the usage to `out` and returns 0.
int prepare_data_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace deepobs::runner
