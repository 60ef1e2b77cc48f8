// The `deepobs` executable: one binary, one subcommand per job.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "runner/analyzer_command.h"
#include "runner/info_command.h"
#include "runner/list_command.h"
#include "runner/prepare_data_command.h"
#include "runner/profile_command.h"
#include "runner/reproduce_command.h"
#include "runner/run_command.h"
#include "runner/tune_command.h"
#include "runner/validate_plugin_command.h"

namespace {

constexpr const char* kUsage =
    "usage: deepobs <command> [options]\n"
    "\n"
    "commands:\n"
    "  run           train an optimizer on a test problem and write the DeepOBS result file\n"
    "  list          the test problems, their defaults, parameter counts and data\n"
    "  info          what this binary was built with and which devices it can use\n"
    "  prepare-data  download and verify data sets (mnist, fmnist) into the data root\n"
    "  analyze       figures, tables and an HTML report from result folders, beside the baselines\n"
    "  reproduce     run the baselines' tuned setting and test our curves against theirs\n"
    "  tune          tune an optimizer's hyperparameters (grid/random; local or Slurm), rerun the "
    "best\n"
    "  estimate-runtime   runtime overhead of an optimizer relative to SGD\n"
    "  prepare-baselines  download the published DeepOBS baselines\n"
    "  validate-plugin    check an optimizer plugin (.so), each check in a child process\n"
    "  profile       time one training step op by op: FLOPs, bytes, rates, a Chrome trace\n"
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
    if (command == "run")
      return deepobs::runner::run_command(argc - 1, argv + 1, std::cout, std::cerr);
    if (command == "list")
      return deepobs::runner::list_command(argc - 1, argv + 1, std::cout, std::cerr);
    if (command == "info") return deepobs::runner::info_command(std::cout);
    if (command == "prepare-data")
      return deepobs::runner::prepare_data_command(argc - 1, argv + 1, std::cout, std::cerr);
    if (command == "analyze" || command == "estimate-runtime" || command == "prepare-baselines")
      return deepobs::runner::analyzer_command(command, argc - 1, argv + 1, std::cerr);
    if (command == "reproduce")
      return deepobs::runner::reproduce_command(argc - 1, argv + 1, std::cout, std::cerr);
    if (command == "tune")
      return deepobs::runner::tune_command(argc - 1, argv + 1, std::cout, std::cerr);
    if (command == "validate-plugin")
      return deepobs::runner::validate_plugin_command(argc - 1, argv + 1, std::cout, std::cerr);
    if (command == "profile")
      return deepobs::runner::profile_command(argc - 1, argv + 1, std::cout, std::cerr);
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
