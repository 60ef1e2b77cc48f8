// The `deepobs` executable: one binary, one subcommand per job.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "runner/info_command.h"

namespace {

constexpr const char* kUsage =
    "usage: deepobs <command> [options]\n"
    "\n"
    "commands:\n"
    "  info        what this binary was built with and which devices it can use\n"
    "\n"
    "Run 'deepobs <command> --help' for the options of a command.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "info") return deepobs::runner::info_command(std::cout);
    if (command == "--version") {
      std::cout << "deepobs-cpp\n";
      return deepobs::runner::info_command(std::cout);
    }
  } catch (const std::exception& e) {
    std::cerr << "deepobs " << command << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "deepobs: unknown command '" << command << "'. Run 'deepobs --help' for the list.\n";
  return 2;
}
