// CPU training-step time and memory of one problem at a chosen batch size, for problems whose
// epoch is too long to time on the CPU (VGG), written as JSON.
//
//   bench_problem_step --problem cifar10_vgg16 --data_dir DIR [--batch_size 8] [--warmup 1]
//                      [--steps 5] [--data_sizes official|any] [--epochs 0] [--epoch_steps 0]
//
// --epochs E (E ≥ 1) times E full training epochs after the warm-up instead of --steps steps: every
// step of each epoch, and each epoch's wall time (`epoch_s`), as tools/bench/cpu_vs_pytorch.sh
// compares with PyTorch. --epoch_steps N (N ≥ 1) ends each timed epoch after N steps (a quick
// check on a busy machine; `epoch_s` is then the time of N steps).
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
  int epochs = 0;
  std::int64_t epoch_steps = 0;
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
    } else if (a == "--epochs") {
      o.epochs = std::stoi(v);
    } else if (a == "--epoch_steps") {
      o.epoch_steps = std::stoll(v);
    } else if (a == "--data_sizes") {
      DEEPOBS_CHECK(v == "official" || v == "any",
                    "bench_problem_step: --data_sizes official or any, got ", v);
      o.any_data_sizes = v == "any";
    } else {
      throw Error(cat("bench_problem_step: unknown flag ", a,
                      " (--problem, --data_dir, --batch_size, --warmup, --steps, --data_sizes, "
                      "--epochs, --epoch_steps)"));
    }
  }
  DEEPOBS_CHECK(
      o.batch_size >= 1 && o.warmup >= 0 && o.steps >= 1 && o.epochs >= 0 && o.epoch_steps >= 0,
      "bench_problem_step: need --batch_size >= 1, --warmup >= 0, --steps >= 1, "
      "--epochs >= 0, --epoch_steps >= 0");
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
  auto run_step = [&](const datasets::Batch& b) {
    flat.zero_grad();
    const Tensor loss = problem->forward(b, ForwardMode::Train).loss;
    autograd::backward(loss);
    optimizer->step({step++, 0, 0.01});
    last_loss = loss.item();
  };
  auto train_step = [&] {
    datasets::Batch b;
    if (!problem->next(b)) {
      problem->start(datasets::Phase::Train);
      DEEPOBS_CHECK(problem->next(b), "bench_problem_step: empty epoch");
    }
    run_step(b);
  };
  for (int i = 0; i < o.warmup; ++i)
    train_step();
  const std::int64_t resident = cpu_allocator_stats().current_bytes;
  reset_cpu_peak();
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  std::vector<double> ms, epoch_s;
  for (int i = 0; o.epochs == 0 && i < o.steps; ++i) {
    const auto t0 = Clock::now();
    train_step();
    ms.push_back(ms_since(t0));
  }
  for (int e = 0; e < o.epochs; ++e) {
    // One epoch: start (which draws the permutation) up to the call that finds the pass over.
    const auto e0 = Clock::now();
    problem->start(datasets::Phase::Train);
    for (std::int64_t i = 0; o.epoch_steps == 0 || i < o.epoch_steps; ++i) {
      const auto t0 = Clock::now();
      datasets::Batch b;
      if (!problem->next(b)) break;
      run_step(b);
      ms.push_back(ms_since(t0));
    }
    epoch_s.push_back(ms_since(e0) / 1000);
  }
  DEEPOBS_CHECK(!ms.empty(), "bench_problem_step: no step was timed");
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
  if (!epoch_s.empty()) {
    std::vector<double> e = epoch_s;
    std::sort(e.begin(), e.end());
    j["steps_per_epoch"] = static_cast<std::int64_t>(ms.size() / epoch_s.size());
    j["epoch_s"] = epoch_s;
    j["epoch_s_median"] = e[e.size() / 2];
  }
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
