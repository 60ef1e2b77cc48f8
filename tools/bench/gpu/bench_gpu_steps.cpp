// GPU step and epoch time of deepobs-cpp for the problems of the PyTorch comparison
// (tools/bench/pytorch_reference.py implements the same models and loop), written as JSON.
//
//   bench_gpu_steps --data_dir DIR [--problems fmnist_mlp,fmnist_2c2d,quadratic_deep]
//                   [--device cuda:0] [--warmup 20] [--steps 200] [--json out.json]
//
// One step = next batch (gathered on the GPU from the resident data set) + zero_grad + forward +
// backward + momentum update (momentum 0.9, lr 0.01), at the problem's default batch size. Step
// times: CUDA events around each of --steps steps after --warmup steps, each step waited for
// (median and percentiles reported). Epoch time: one full training epoch after the warm-up,
// between two events, without waiting inside it. No loss is read back inside the timed region.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/build_info.h"
#include "core/cuda_backend.h"
#include "core/flat_parameters.h"
#include "optimizers/registry.h"
#include "problems/registry.h"

namespace deepobs {
namespace {

struct Options {
  std::vector<std::string> problems = {"fmnist_mlp", "fmnist_2c2d", "quadratic_deep"};
  std::string data_dir;
  std::string device = "cuda:0";
  int warmup = 20;
  int steps = 200;
  std::string json;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    DEEPOBS_CHECK(i + 1 < argc, "bench_gpu_steps: ", a, " needs a value");
    const std::string v = argv[++i];
    if (a == "--problems")
      o.problems = split(v);
    else if (a == "--data_dir")
      o.data_dir = v;
    else if (a == "--device")
      o.device = v;
    else if (a == "--warmup")
      o.warmup = std::stoi(v);
    else if (a == "--steps")
      o.steps = std::stoi(v);
    else if (a == "--json")
      o.json = v;
    else
      throw Error(cat("bench_gpu_steps: unknown flag ", a,
                      " (--problems, --data_dir, --device, --warmup, --steps, --json)"));
  }
  DEEPOBS_CHECK(o.warmup >= 0 && o.steps >= 1, "bench_gpu_steps: need --warmup >= 0, --steps >= 1");
  return o;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

class Trainer {
 public:
  Trainer(const std::string& name, const problems::ProblemConfig& config)
      : problem_(problems::build_problem(name, config)),
        optimizer_(make_optimizer(
            "momentum", problem_->flat(),
            resolve_hyperparameters(find_optimizer("momentum"), {{"momentum", "0.9"}}))) {}

  // One training step; starts a new epoch when the current one is over.
  void step() {
    datasets::Batch b;
    if (!started_ || !problem_->next(b)) {
      problem_->start(datasets::Phase::Train);
      started_ = true;
      DEEPOBS_CHECK(problem_->next(b), "bench_gpu_steps: empty epoch");
    }
    run(b);
  }
  // A whole epoch from its start.
  std::int64_t epoch() {
    problem_->start(datasets::Phase::Train);
    started_ = true;
    std::int64_t n = 0;
    for (datasets::Batch b; problem_->next(b); ++n)
      run(b);
    started_ = false;
    return n;
  }
  problems::Problem& problem() { return *problem_; }

 private:
  void run(const datasets::Batch& b) {
    problem_->flat().zero_grad();
    const Tensor loss = problem_->forward(b, ForwardMode::Train).loss;
    autograd::backward(loss);
    optimizer_->step({step_, 0, 0.01});
    ++step_;
  }
  std::unique_ptr<problems::Problem> problem_;
  std::unique_ptr<Optimizer> optimizer_;
  bool started_ = false;
  std::int64_t step_ = 0;
};

nlohmann::ordered_json bench_problem(const std::string& name, const Options& o, Device device) {
  problems::ProblemConfig config;
  config.batch_size = problems::find_problem(name).info.default_batch_size;
  config.data_dir = o.data_dir;
  config.device = device;
  Trainer t(name, config);
  for (int i = 0; i < o.warmup; ++i)
    t.step();
  std::vector<double> ms;
  cuda_backend::IntervalTimer timer(device);
  for (int i = 0; i < o.steps; ++i) {
    timer.begin();
    t.step();
    timer.end();
    ms.push_back(timer.collect_ms().at(0));
  }
  timer.begin();
  const std::int64_t steps_per_epoch = t.epoch();
  timer.end();
  const double epoch_ms = timer.collect_ms().at(0);
  nlohmann::ordered_json j;
  j["problem"] = name;
  j["batch_size"] = config.batch_size;
  j["steps_per_epoch"] = steps_per_epoch;
  j["step_ms_median"] = percentile(ms, 0.5);
  j["step_ms_p10"] = percentile(ms, 0.1);
  j["step_ms_p90"] = percentile(ms, 0.9);
  j["epoch_s"] = epoch_ms / 1e3;
  j["peak_device_bytes"] = cuda_backend::memory_stats(device).peak_bytes;
  return j;
}

int main_impl(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const Device device = Device::parse(o.device);
  DEEPOBS_CHECK(device.is_cuda() && Device::cuda_available(), "bench_gpu_steps: --device ",
                o.device, " is not a usable CUDA device");
  const BuildInfo info = build_info();
  nlohmann::ordered_json out;
  out["engine"] = "deepobs-cpp";
  out["variant"] = "gpu_resident";
  for (const auto& g : info.gpus)
    if (g.index == device.index) out["gpu"] = g.name;
  out["device"] = device.str();
  out["policies"] = {{"deterministic", false}, {"tf32", false}};
  out["warmup_steps"] = o.warmup;
  out["timed_steps"] = o.steps;
  out["results"] = nlohmann::ordered_json::array();
  for (const auto& name : o.problems) {
    std::cerr << "bench_gpu_steps: " << name << "\n";
    out["results"].push_back(bench_problem(name, o, device));
  }
  const std::string text = out.dump(2);
  if (o.json.empty()) {
    std::cout << text << "\n";
  } else {
    std::ofstream f(o.json);
    f << text << "\n";
    DEEPOBS_CHECK(f.good(), "bench_gpu_steps: cannot write ", o.json);
  }
  return 0;
}

}  // namespace
}  // namespace deepobs

int main(int argc, char** argv) {
  try {
    return deepobs::main_impl(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_gpu_steps: " << e.what() << "\n";
    return 1;
  }
}
