// `deepobs profile` and the op profiler (core/profiler.h): FLOP and byte counts of a dense and a
// conv layer against hand counts, the cost function's one-branch guarantee, a profile of every
// problem on fixture data whose rows add up to the step, the --json fields, the Chrome trace and
// the one-line errors of bad arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/conv.h"
#include "core/ops/linear.h"
#include "core/ops/reduce.h"
#include "core/profiler.h"
#include "datasets/imagenet_prepare.h"
#include "datasets/npy.h"
#include "problems/registry.h"
#include "runner/profile_command.h"
#include "tests/common/image_fixtures.h"
#include "tests/common/run_in_process.h"
#include "tests/cpu/imagenet_jpeg_fixture.h"
#include "tests/cpu/test_datasets_util.h"

namespace deepobs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Tensor ramp(const Shape& shape, double scale) {
  std::vector<float> v(static_cast<std::size_t>(shape_numel(shape)));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(scale * (static_cast<double>(i % 7) - 3.0));
  return Tensor::from_vector(v, shape).set_requires_grad(true);
}

// The events of one recorded step of `body` (forward in the forward phase, then backward).
template <class Body>
profile::StepRecord record_step(Body&& body) {
  profile::Session session(Device::cpu());
  session.begin_step();
  body();
  return session.end_step();
}

const profile::OpEvent& find_event(const profile::StepRecord& r, const std::string& name,
                                   profile::Phase phase) {
  for (const auto& e : r.ops)
    if (e.name == name && e.phase == phase) return e;
  throw std::runtime_error("no event " + name);
}

TEST(ProfileCosts, DenseLayerCountsMatchHandCount) {
  // x [4, 3] · W [3, 5] + b [5]: 4·5·3 = 60 multiply-adds = 120 FLOPs, plus 20 bias additions;
  // bytes (12 + 15 + 20 + 5) f32 = 208. Backward with every input requiring a gradient: dx and dW
  // (120 FLOPs each) and db (20 additions) = 260 FLOPs.
  const Tensor x = ramp({4, 3}, 0.1), w = ramp({3, 5}, 0.2), b = ramp({5}, 0.3);
  const auto r = record_step([&] {
    Tensor y;
    {
      profile::PhaseScope phase(profile::Phase::kForward);
      y = ops::sum(ops::dense(x, w, b));
    }
    profile::PhaseScope phase(profile::Phase::kBackward);
    autograd::backward(y);
  });
  const auto& f = find_event(r, "dense", profile::Phase::kForward);
  EXPECT_DOUBLE_EQ(f.cost.flops, 140);
  EXPECT_DOUBLE_EQ(f.cost.bytes, 208);
  const auto& bw = find_event(r, "dense", profile::Phase::kBackward);
  EXPECT_DOUBLE_EQ(bw.cost.flops, 260);
  // dx: dy [4,5], W, dx [4,3]; dW: x, dy, dW [3,5]; db: dy, db: (20+15+12)+(12+20+15)+(20+5) = 119.
  EXPECT_DOUBLE_EQ(bw.cost.bytes, 119 * 4);
  // The sum recorded its own rows; nothing else.
  std::set<std::string> names;
  for (const auto& e : r.ops)
    names.insert(e.name);
  EXPECT_EQ(names, (std::set<std::string>{"dense", "sum"}));
}

TEST(ProfileCosts, ConvLayerCountsMatchHandCount) {
  // x [2, 3, 8, 8], w [4, 3, 3, 3], bias [4], stride 1, padding 1: y [2, 4, 8, 8] = 512 outputs,
  // each 27 multiply-adds: 13,824 MACs = 27,648 FLOPs, plus 512 bias additions = 28,160.
  // Bytes: (384 + 512 + 108 + 4) f32 = 4,032. Backward: dx and dw (27,648 each) + db (512).
  const Tensor x = ramp({2, 3, 8, 8}, 0.1), w = ramp({4, 3, 3, 3}, 0.05), b = ramp({4}, 0.1);
  const auto r = record_step([&] {
    Tensor y;
    {
      profile::PhaseScope phase(profile::Phase::kForward);
      y = ops::sum(ops::conv2d(x, w, b, 1, 1, ops::Padding2d{1, 1, 1, 1}));
    }
    profile::PhaseScope phase(profile::Phase::kBackward);
    autograd::backward(y);
  });
  const auto& f = find_event(r, "conv2d", profile::Phase::kForward);
  EXPECT_DOUBLE_EQ(f.cost.flops, 28160);
  EXPECT_DOUBLE_EQ(f.cost.bytes, 4032);
  EXPECT_DOUBLE_EQ(find_event(r, "conv2d", profile::Phase::kBackward).cost.flops, 55808);
}

TEST(ProfileCosts, CostFunctionRunsOnlyWhileRecordingAndNestedOpsAreOneRow) {
  int calls = 0;
  const auto cost = [&] {
    ++calls;
    return profile::OpCost{{1, 1}, {}};
  };
  { profile::OpScope scope("outer", cost); }
  EXPECT_EQ(calls, 0) << "not profiling: the cost function must not run";
  const auto r = record_step([&] {
    profile::OpScope outer("outer", cost);
    profile::OpScope inner("inner", cost);
  });
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(r.ops.size(), 1u);
  EXPECT_EQ(r.ops[0].name, "outer");
  EXPECT_LE(r.ops[0].host_begin_ns, r.ops[0].host_end_ns);
}

// Data folders for every data set the registry's problems use, in their real formats and tiny.
void write_fixtures(const fs::path& root) {
  using datasets::test_util::idx_bytes;
  using datasets::test_util::write_raw;
  std::mt19937 gen(3);
  for (const char* set : {"mnist", "fmnist"})
    fs::create_directories(root / set);
  for (const char* set : {"mnist", "fmnist"})
    for (const auto& [prefix, n] :
         {std::pair<std::string, std::uint32_t>{"train", 16}, {"t10k", 8}}) {
      std::vector<std::uint8_t> images(static_cast<std::size_t>(n) * 784), labels(n);
      for (auto& p : images)
        p = static_cast<std::uint8_t>(gen() % 256);
      for (auto& l : labels)
        l = static_cast<std::uint8_t>(gen() % 10);
      write_raw(root / set / (prefix + "-images-idx3-ubyte"), idx_bytes({n, 28, 28}, images));
      write_raw(root / set / (prefix + "-labels-idx1-ubyte"), idx_bytes({n}, labels));
    }
  test_images::write_data_set(root, "cifar10", 4, 8);
  test_images::write_data_set(root, "cifar100", 16, 8);
  test_images::write_data_set(root, "svhn", 4, 8);
  // Tolstoi: an id stream over all 83 characters (load_tolstoi_splits checks the vocabulary).
  fs::create_directories(root / "tolstoi");
  for (const auto& [name, n, offset] :
       {std::tuple<const char*, std::int64_t, std::int64_t>{"train.npy", 2000, 0},
        {"test.npy", 1000, 2000}}) {
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t k = i + offset;
      ids[static_cast<std::size_t>(i)] = (k * 31 + k / 5 + (k % 7) * (k % 3)) % 83;
    }
    std::ofstream(root / "tolstoi" / name, std::ios::binary) << datasets::npy_int64_bytes(ids);
  }
  // ImageNet: the loader's tiny JPEG copy (ILSVRC-2012 folders), indexed as prepare-data does.
  static const datasets::test_util::ImageNetFixture imagenet;
  imagenet.write_folders(root / "ilsvrc");
  datasets::PrepareOptions prepare;
  prepare.source = root / "ilsvrc";
  prepare.official_sizes = false;
  datasets::prepare_imagenet({root, datasets::DataRoot::Source::Explicit}, prepare);
}

const std::set<std::string> kFixtureSets = {"mnist",   "fmnist",    "cifar10", "cifar100", "svhn",
                                            "tolstoi", "quadratic", "two_d",   "imagenet"};

struct ProfileRun {
  int code = 0;
  std::string out, err;
};

ProfileRun run_profile(std::vector<std::string> args) {
  args.insert(args.begin(), "profile");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  ProfileRun r;
  r.code = runner::profile_command(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

class ProfileCommand : public testing_support::ScratchDirTest {
 protected:
  ProfileCommand() : ScratchDirTest("deepobs_profile") {}
};

// The rows of a phase add up to the phase and the phases to the step, up to the instructions
// between two phases: within 2 % of the step or 0.5 ms, whichever is larger. The gap is a few
// clock reads, but a preempted thread can stretch it: under ASan on a loaded machine 78 µs of a
// 0.54 ms quadratic_deep step fell between phases.
void expect_rows_sum_to_step(const json& j, const std::string& problem) {
  double rows = 0;
  for (const auto& op : j["ops"])
    rows += op["seconds"].get<double>();
  const double step = j["step_seconds"].get<double>();
  EXPECT_GT(step, 0) << problem;
  EXPECT_NEAR(rows, step, std::max(0.02 * step, 500e-6)) << problem;
  EXPECT_NEAR(rows + j["unattributed_seconds"].get<double>(), step, 1e-9 * step + 1e-12) << problem;
}

// One test per registered problem (ctest runs them in parallel): one warm-up step and one
// profiled step at batch 2 on the fixture data (batch 1 for the VGGs, which resize every image to
// 224×224: some 50 GFLOP per image and step).
class ProfileEveryProblem : public testing_support::ScratchDirTest,
                            public ::testing::WithParamInterface<std::string> {
 protected:
  ProfileEveryProblem() : ScratchDirTest("deepobs_profile_all") {}
};

// The VGGs and the ImageNet problems cost tens of GFLOP per step: their instantiation is named
// Heavy, so that the sanitizer run leaves them out (tests/heavy_labels.cmake).
bool heavy_problem(const std::string& name) {
  return name.find("vgg") != std::string::npos || name.rfind("imagenet", 0) == 0;
}

std::vector<std::string> problem_names(bool heavy) {
  std::vector<std::string> names;
  for (const auto& entry : problems::problem_registry())
    if (heavy_problem(entry.info.name) == heavy) names.push_back(entry.info.name);
  return names;
}

TEST_P(ProfileEveryProblem, RowsAddUpToTheStep) {
  const std::string name = GetParam();
  const auto& info = problems::find_problem(name).info;
  const std::string set = info.data_variant.substr(0, info.data_variant.find(':'));
  if (!kFixtureSets.count(set))
    GTEST_SKIP() << name << ": no fixture writer for the data set " << set << " in this test";
  write_fixtures(dir_ / "data");
  const fs::path json_path = dir_ / (name + ".json");
  const std::string batch = name.find("vgg") != std::string::npos ? "1" : "2";
  const auto r =
      run_profile({name, "--batch_size", batch, "--steps", "1", "--warmup", "1", "--data_dir",
                   (dir_ / "data").string(), "--data_sizes", "any", "--json", json_path.string()});
  ASSERT_EQ(r.code, 0) << name << ": " << r.err;
  EXPECT_NE(r.out.find("== forward"), std::string::npos) << name;
  const json j = read_json(json_path);
  expect_rows_sum_to_step(j, name);
  std::map<std::string, double> flops_by_phase;
  bool update_row = false;
  for (const auto& op : j["ops"]) {
    flops_by_phase[op["phase"]] += op["flops"].get<double>();
    if (op["name"] == "GradientDescentOptimizer update") {
      update_row = true;
      EXPECT_DOUBLE_EQ(op["calls"].get<double>(), 1) << name;
    }
  }
  EXPECT_TRUE(update_row) << name;
  EXPECT_GT(flops_by_phase["forward"], 0) << name;
  EXPECT_GT(flops_by_phase["backward"], 0) << name;
  const auto has = [&](const std::string& op) {
    for (const auto& o : j["ops"])
      if (o["name"] == op) return true;
    return false;
  };
  // The ops that make these problems what they are have their rows.
  for (const auto& [part, op] : {std::pair<std::string, std::string>{"char_rnn", "lstm"},
                                 {"_vae", "conv_transpose2d"},
                                 {"wrn", "batch_norm_train"}})
    if (name.find(part) != std::string::npos) {
      EXPECT_TRUE(has(op)) << name << " has no " << op << " row";
    }
}

INSTANTIATE_TEST_SUITE_P(AllProblems, ProfileEveryProblem,
                         ::testing::ValuesIn(problem_names(false)),
                         [](const auto& param) { return param.param; });
INSTANTIATE_TEST_SUITE_P(HeavyProblems, ProfileEveryProblem,
                         ::testing::ValuesIn(problem_names(true)),
                         [](const auto& param) { return param.param; });

TEST_F(ProfileCommand, JsonHasTheDocumentedFieldsAndTheTraceParses) {
  write_fixtures(dir_ / "data");
  const fs::path json_path = dir_ / "p.json", trace_path = dir_ / "t.json";
  const auto r = run_profile({"fmnist_2c2d",
                              "--optimizer",
                              "momentum",
                              "--lr",
                              "0.01",
                              "--momentum",
                              "0.9",
                              "--batch_size",
                              "4",
                              "--steps",
                              "2",
                              "--warmup",
                              "1",
                              "--data_dir",
                              (dir_ / "data").string(),
                              "--data_sizes",
                              "any",
                              "--json",
                              json_path.string(),
                              "--trace",
                              trace_path.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = read_json(json_path);
  for (const char* key : {"step_seconds", "launches_per_step", "ops", "limits", "phases"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j["launches_per_step"].is_null()) << "no kernels on the CPU";
  EXPECT_GT(j["limits"]["flops_per_second"].get<double>(), 0);
  ASSERT_FALSE(j["ops"].empty());
  for (const auto& op : j["ops"])
    for (const char* key : {"name", "phase", "calls", "seconds", "flops", "bytes"})
      EXPECT_TRUE(op.contains(key)) << key;
  // The momentum update: 4 FLOPs per parameter, fmnist_2c2d has 3,274,634 parameters.
  bool update = false;
  for (const auto& op : j["ops"])
    if (op["name"] == "MomentumOptimizer update") {
      update = true;
      EXPECT_DOUBLE_EQ(op["flops"].get<double>(), 4.0 * 3274634);
    }
  EXPECT_TRUE(update);

  // Trace-event format: an object with traceEvents; complete events carry name, cat, ph "X",
  // ts, dur >= 0, pid, tid; every op lies inside its phase and every phase inside its step.
  const json t = read_json(trace_path);
  ASSERT_TRUE(t["traceEvents"].is_array());
  std::set<std::string> cats;
  std::vector<json> steps, phases, ops;
  for (const auto& e : t["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph") && e.contains("pid") && e.contains("name"));
    if (e["ph"] == "M") continue;
    ASSERT_EQ(e["ph"], "X");
    ASSERT_TRUE(e["ts"].is_number() && e["dur"].is_number() && e.contains("tid"));
    EXPECT_GE(e["dur"].get<double>(), 0);
    cats.insert(e["cat"]);
    (e["cat"] == "step" ? steps : e["cat"] == "phase" ? phases : ops).push_back(e);
  }
  EXPECT_EQ(steps.size(), 2u);
  for (const char* c : {"step", "phase", "data", "forward", "backward", "optimizer update"})
    EXPECT_TRUE(cats.count(c)) << c;
  const auto inside = [](const json& in, const std::vector<json>& outer) {
    const double b = in["ts"], e = b + in["dur"].get<double>();
    for (const auto& o : outer)
      if (o["ts"].get<double>() <= b && e <= o["ts"].get<double>() + o["dur"].get<double>() + 1e-3)
        return true;
    return false;
  };
  for (const auto& p : phases)
    EXPECT_TRUE(inside(p, steps)) << p.dump();
  for (const auto& o : ops)
    EXPECT_TRUE(inside(o, phases)) << o.dump();
  bool conv = false;
  for (const auto& o : ops)
    conv = conv || (o["name"] == "conv2d" && o["cat"] == "backward");
  EXPECT_TRUE(conv);
}

TEST_F(ProfileCommand, PluginStepIsOneRowEvenWhenItEvaluatesTheLoss) {
  write_fixtures(dir_ / "data");
  const fs::path json_path = dir_ / "p.json";
  const auto r =
      run_profile({"fmnist_logreg", "--optimizer", DEEPOBS_EXAMPLE_PLUGIN_ARMIJO_LINESEARCH, "--lr",
                   "0.1", "--batch_size", "4", "--steps", "1", "--warmup", "1", "--data_dir",
                   (dir_ / "data").string(), "--data_sizes", "any", "--json", json_path.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = read_json(json_path);
  expect_rows_sum_to_step(j, "fmnist_logreg (armijo plugin)");
  int update_rows = 0;
  for (const auto& op : j["ops"])
    if (op["phase"] == "optimizer update" && op["name"] != "zero_grad" && op["name"] != "[other]") {
      ++update_rows;
      EXPECT_DOUBLE_EQ(op["flops"].get<double>(), 0) << "a plugin's FLOPs are unknown";
    }
  EXPECT_EQ(update_rows, 1) << "the line search's forward passes belong to the plugin's row";
}

TEST_F(ProfileCommand, BadArgumentsGiveOneLineErrors) {
  fs::create_directories(dir_);
  const auto one_line_error = [](const ProfileRun& r, const std::string& needle) {
    EXPECT_NE(r.code, 0) << needle;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  one_line_error(run_profile({"quadratic_deep", "--steps", "0"}), "--steps");
  one_line_error(run_profile({"quadratic_deep", "--steps", "two"}), "--steps");
  one_line_error(run_profile({"quadratic_deep", "--warmup", "-1"}), "--warmup");
  one_line_error(run_profile({"quadratic_deep", "--steps"}), "--steps needs a value");
  one_line_error(run_profile({"quadratic_deep", "--json", (dir_ / "missing" / "p.json").string()}),
                 "does not exist");
  one_line_error(run_profile({"quadratic_deep", "--trace", dir_.string()}), "is a folder");
  one_line_error(run_profile({"no_such_problem"}), "no_such_problem");
  one_line_error(run_profile({"quadratic_deep", "--stpes", "2"}), "--stpes");
  one_line_error(run_profile({"quadratic_deep", "--device", "tpu"}), "tpu");
  EXPECT_FALSE(fs::exists(dir_ / "missing"));
}

}  // namespace
}  // namespace deepobs
