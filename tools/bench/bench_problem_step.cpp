// CPU training-step time and memory of one problem at a chosen batch size, for problems whose
// epoch is too long to time on the CPU (VGG), written as JSON.
//
//   bench_problem_step --problem cifar10_vgg16 --data_dir DIR [--batch_size 8] [--warmup 1]
//                      [--steps 5] [--data_sizes official|any]
//
// One step = next batch + zero_grad + forward + backward + momentum update (0.9, lr 0.01), the
// loop of `deepobs run`. Wall time per step (median, min, max over --steps after --warmup). Memory
// from the engine's CPU allocator (cpu_allocator_stats): every tensor's storage, not the kernels'
// own scratch (im2col): `resident_bytes` after the warm-up (data set, parameters, gradients,
// momentum, between steps) and `step_peak_bytes`, the peak during the timed steps.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/autograd.h"
#include "core/flat_parameters.h"
#include "optimizers/registry.h"
#include "problems/registry.h"

namespace deepobs {
namespace {

struct Options {
  std::string problem = "cifar10_vgg16";
  std::string data_dir;
  std::int64_t batch_size = 8;
  int warmup = 1;
  int steps = 5;
  bool any_data_sizes = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    DEEPOBS_CHECK(i + 1 < argc, "bench_problem_step: ", a, " needs a value");
    const std::string v = argv[++i];
    if (a == "--problem") {
      o.problem = v;
    } else if (a == "--data_dir") {
      o.data_dir = v;
    } else if (a == "--batch_size") {
      o.batch_size = std::stoll(v);
    } else if (a == "--warmup") {
      o.warmup = std::stoi(v);
    } else if (a == "--steps") {
      o.steps = std::stoi(v);
    } else if (a == "--data_sizes") {
      DEEPOBS_CHECK(v == "official" || v == "any",
                    "bench_problem_step: --data_sizes official or any, got ", v);
      o.any_data_sizes = v == "any";
    } else {
      throw Error(cat("bench_problem_step: unknown flag ", a,
                      " (--problem, --data_dir, --batch_size, --warmup, --steps, --data_sizes)"));
    }
  }
  DEEPOBS_CHECK(o.batch_size >= 1 && o.warmup >= 0 && o.steps >= 1,
                "bench_problem_step: need --batch_size >= 1, --warmup >= 0, --steps >= 1");
  return o;
}

int main_impl(int argc, char** argv) {
  const Options o = parse(argc, argv);
  problems::ProblemConfig config;
  config.batch_size = o.batch_size;
  config.data_dir = o.data_dir;
  config.image.official_sizes = !o.any_data_sizes;
  auto problem = problems::build_problem(o.problem, config);
  FlatParameters& flat = problem->flat();
  auto optimizer = make_optimizer(
      "momentum", flat, resolve_hyperparameters(find_optimizer("momentum"), {{"momentum", "0.9"}}));
  problem->start(datasets::Phase::Train);
  std::int64_t step = 0;
  double last_loss = 0;
  auto train_step = [&] {
    datasets::Batch b;
    if (!problem->next(b)) {
      problem->start(datasets::Phase::Train);
      DEEPOBS_CHECK(problem->next(b), "bench_problem_step: empty epoch");
    }
    flat.zero_grad();
    const Tensor loss = problem->forward(b, ForwardMode::Train).loss;
    autograd::backward(loss);
    optimizer->step({step++, 0, 0.01});
    last_loss = loss.item();
  };
  for (int i = 0; i < o.warmup; ++i)
    train_step();
  const std::int64_t resident = cpu_allocator_stats().current_bytes;
  reset_cpu_peak();
  std::vector<double> ms;
  for (int i = 0; i < o.steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    train_step();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  nlohmann::ordered_json j;
  j["problem"] = o.problem;
  j["batch_size"] = o.batch_size;
  j["parameters"] = flat.num_parameters();
  j["warmup_steps"] = o.warmup;
  j["step_ms"] = ms;
  j["step_ms_median"] = sorted[sorted.size() / 2];
  j["step_ms_min"] = sorted.front();
  j["step_ms_max"] = sorted.back();
  j["resident_bytes"] = resident;
  j["step_peak_bytes"] = cpu_allocator_stats().peak_bytes;
  j["last_loss"] = last_loss;
  std::cout << j.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace deepobs

int main(int argc, char** argv) {
  try {
    return deepobs::main_impl(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_problem_step: " << e.what() << "\n";
    return 1;
  }
}
