// The optimizer plugin ABI from the host's side: loading and refusing the test plugins of
// tests/plugins (ABI minors and majors, broken descriptors), the build-fingerprint rules, the
// hyperparameter spec driving the command line and the result folders, the step callbacks
// (evaluate on the same batch, finite-difference Hessian-vector products, log_scalar, scratch
// memory, eval_params) and their cost accounting, a failing step stopping `deepobs run` with the
// results so far, and the built-ins reproducing the curves of the pre-plugin code exactly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/flat_parameters.h"
#include "core/module.h"
#include "optimizers/builtin.h"
#include "optimizers/descriptor.h"
#include "optimizers/plugin_loader.h"
#include "optimizers/registry.h"
#include "runner/run_command.h"
#include "runner/run_naming.h"
#include "tests/common/expect_error.h"
#include "tests/common/run_in_process.h"

namespace deepobs {
namespace {

namespace fs = std::filesystem;
using deepobs::testing::expect_error;

// ---------------------------------------------------------------------------------------------
// Loading and refusing

TEST(PluginLoader, LoadsTheGoodPluginWithItsSpec) {
  const OptimizerInfo& info = find_optimizer(DEEPOBS_TEST_PLUGIN_GOOD);
  EXPECT_EQ(info.id, "org.deepobs.test.good");
  EXPECT_EQ(info.name, "GoodTestOptimizer");
  EXPECT_EQ(info.version, "0.1.0");
  EXPECT_EQ(info.abi_version, DEEPOBS_OPTIMIZER_ABI_VERSION);
  EXPECT_EQ(info.origin, fs::canonical(DEEPOBS_TEST_PLUGIN_GOOD).string());
  EXPECT_FALSE(info.is_builtin());
  EXPECT_TRUE(info.has_capability(DEEPOBS_CAP_EVAL_PARAMS));
  ASSERT_EQ(info.hyperparameters.size(), 5u);
  const HyperparameterSpec& mode = info.hyperparameters[1];
  EXPECT_EQ(mode.name, "mode");
  EXPECT_EQ(mode.type, HyperparameterType::Enum);
  EXPECT_EQ(mode.choices, (std::vector<std::string>{"plain", "signed", "hvp"}));
  EXPECT_EQ(std::get<std::string>(*mode.default_value), "plain");
  EXPECT_EQ(range_string(mode), "{plain, signed, hvp}");
  EXPECT_TRUE(info.hyperparameters[0].log_scale);
  EXPECT_EQ(range_string(info.hyperparameters[0]), "(0, inf)");
  EXPECT_EQ(std::get<std::int64_t>(*info.hyperparameters[2].default_value), 0);
  EXPECT_FALSE(info.hyperparameters[4].default_value.has_value());  // "unused" is required
  ASSERT_EQ(info.state_slots.size(), 1u);
  EXPECT_EQ(info.state_slots[0].kind, StateSlotKind::Scalar);
  EXPECT_EQ(info.state_slots[0].dtype, DType::I64);
  // Loaded once: the same info by the same path.
  EXPECT_EQ(&find_optimizer(DEEPOBS_TEST_PLUGIN_GOOD), &info);
}

TEST(PluginLoader, PluginBuiltAgainstAnOlderMinorLoads) {
  // Compiled against the ABI 1.0 header kept in tests/plugins/abi_1_0.
  const OptimizerInfo& info = load_plugin(DEEPOBS_TEST_PLUGIN_OLDER_MINOR);
  EXPECT_EQ(info.abi_version, DEEPOBS_ABI_VERSION(1, 0));
  EXPECT_LT(info.abi_version, kHostAbiMax);
  EXPECT_EQ(info.name, "VariantTestOptimizer");
}

TEST(PluginLoader, PluginWithANewerMinorAndALongerDescriptorLoads) {
  const OptimizerInfo& info = load_plugin(DEEPOBS_TEST_PLUGIN_NEWER_MINOR);
  EXPECT_EQ(info.abi_version, DEEPOBS_ABI_VERSION(1, 999));
  EXPECT_GT(info.descriptor->struct_size, sizeof(deepobs_optimizer_descriptor));
}

TEST(PluginLoader, RefusesEveryBrokenBuildWithAClearMessage) {
  expect_error([] { load_plugin(DEEPOBS_TEST_PLUGIN_WRONG_MAJOR); },
               {"libtest_plugin_wrong_major.so", "built against optimizer ABI 2.0",
                "this deepobs speaks 1.0 to " + abi_version_string(kHostAbiMax), "rebuild"});
  expect_error([] { load_plugin(DEEPOBS_TEST_PLUGIN_REFUSES); },
               {"refused to load", "this build needs AVX-512, which this CPU lacks"});
  expect_error([] { load_plugin(DEEPOBS_TEST_PLUGIN_MISSING_STEP); },
               {"org.deepobs.test.variant", "missing required function 'step'"});
  expect_error([] { load_plugin(DEEPOBS_TEST_PLUGIN_BAD_DEFAULTS); },
               {"bad default for hyperparameter 'beta'", "1.5 is outside [0, 1)"});
  expect_error([] { load_plugin(DEEPOBS_TEST_PLUGIN_BUILTIN_NAME); },
               {"'AdamOptimizer' is a built-in optimizer's", "give the plugin its own name"});
  expect_error([] { load_plugin(DEEPOBS_TEST_PLUGIN_NO_ENTRY); },
               {"not a deepobs optimizer plugin", "deepobs_optimizer_entry"});
  expect_error([] { load_plugin("/nonexistent/libnothing.so"); }, {"no such file"});
  const fs::path text =
      fs::temp_directory_path() / ("deepobs_not_a_plugin_" + std::to_string(getpid()) + ".so");
  std::ofstream(text) << "not an ELF file\n";
  expect_error([&] { load_plugin(text.string()); }, {"cannot be loaded", text.string()});
  fs::remove(text);
}

TEST(PluginLoader, PathsAreTellFromNames) {
  EXPECT_TRUE(looks_like_plugin_path("./libfoo.so"));
  EXPECT_TRUE(looks_like_plugin_path("libfoo.so"));
  EXPECT_TRUE(looks_like_plugin_path("/opt/x/lib"));
  EXPECT_FALSE(looks_like_plugin_path("adam"));
  EXPECT_FALSE(looks_like_plugin_path("MomentumOptimizer"));
}

// ---------------------------------------------------------------------------------------------
// Descriptor validation and fingerprints (descriptors written here, in C++, against the header)

deepobs_status noop_create(const deepobs_host*, const deepobs_problem*, const deepobs_hparam_value*,
                           std::uint32_t, deepobs_optimizer_instance** out) {
  static int token;
  *out = reinterpret_cast<deepobs_optimizer_instance*>(&token);
  return DEEPOBS_STATUS_OK;
}
void noop_destroy(deepobs_optimizer_instance*) {}
deepobs_status noop_step(deepobs_optimizer_instance*, const deepobs_step_context*) {
  return DEEPOBS_STATUS_OK;
}

struct TestDescriptor {
  explicit TestDescriptor(std::uint64_t caps) {
    fp.struct_size = sizeof(fp);
    d.struct_size = sizeof(d);
    d.abi_version = DEEPOBS_OPTIMIZER_ABI_VERSION;
    d.fingerprint = &fp;
    d.id = "org.example.test";
    d.name = "ExampleOptimizer";
    d.version = "1";
    d.capabilities = caps;
    d.create = &noop_create;
    d.destroy = &noop_destroy;
    d.step = &noop_step;
  }
  deepobs_build_fingerprint fp{};
  deepobs_optimizer_descriptor d{};
};

TEST(PluginDescriptor, ValidatesNamesFlagsAndSpecs) {
  {
    TestDescriptor t(DEEPOBS_CAP_CPU);
    EXPECT_EQ(info_from_descriptor(&t.d, "x.so").name, "ExampleOptimizer");
    t.d.id = "Org.Example";  // upper case is not reverse-DNS style here
    expect_error([&] { info_from_descriptor(&t.d, "x.so"); }, {"id 'Org.Example'"});
  }
  {
    TestDescriptor t(DEEPOBS_CAP_CPU);
    t.d.name = "my optimizer";
    expect_error([&] { info_from_descriptor(&t.d, "x.so"); },
                 {"name 'my optimizer'", "result folder"});
  }
  {
    TestDescriptor t(0);
    expect_error([&] { info_from_descriptor(&t.d, "x.so"); }, {"capabilities name no device"});
  }
  {
    TestDescriptor t(DEEPOBS_CAP_CPU | DEEPOBS_CAP_EVAL_PARAMS);
    expect_error([&] { info_from_descriptor(&t.d, "x.so"); },
                 {"DEEPOBS_CAP_EVAL_PARAMS is set but eval_params is NULL"});
  }
  {
    TestDescriptor t(DEEPOBS_CAP_CUDA);
    expect_error([&] { info_from_descriptor(&t.d, "x.so"); },
                 {"claims DEEPOBS_CAP_CUDA", "names no CUDA runtime"});
  }
  {
    TestDescriptor t(DEEPOBS_CAP_CPU);
    t.d.struct_size = 40;
    expect_error([&] { info_from_descriptor(&t.d, "x.so"); }, {"smaller than ABI 1.0's"});
  }
  {
    TestDescriptor t(DEEPOBS_CAP_CPU);
    const deepobs_hparam_spec specs[] = {
        {sizeof(deepobs_hparam_spec), DEEPOBS_HP_F64, "lr", nullptr, 0, {}, 0, 1, 0, nullptr}};
    t.d.num_hyperparameters = 1;
    t.d.hyperparameters = specs;
    expect_error([&] { info_from_descriptor(&t.d, "x.so"); },
                 {"hyperparameter 'lr' is not allowed", "schedules the learning rate"});
  }
  {
    TestDescriptor t(DEEPOBS_CAP_CPU);
    const deepobs_hparam_spec specs[] = {{sizeof(deepobs_hparam_spec),
                                          DEEPOBS_HP_ENUM,
                                          "kind",
                                          nullptr,
                                          DEEPOBS_HP_HAS_DEFAULT,
                                          {0, 3},
                                          0,
                                          0,
                                          0,
                                          nullptr}};
    t.d.num_hyperparameters = 1;
    t.d.hyperparameters = specs;
    expect_error([&] { info_from_descriptor(&t.d, "x.so"); },
                 {"enum hyperparameter 'kind'", "has no choices"});
  }
  {
    TestDescriptor t(DEEPOBS_CAP_CPU);
    const deepobs_state_slot_spec slots[] = {{sizeof(deepobs_state_slot_spec), DEEPOBS_SLOT_BYTES,
                                              "blob", nullptr, DEEPOBS_DTYPE_U8, 0}};
    t.d.num_state_slots = 1;
    t.d.state_slots = slots;
    expect_error([&] { info_from_descriptor(&t.d, "x.so"); }, {"state slot 'blob'", "bytes > 0"});
  }
}

TEST(PluginFingerprint, CpuAndCudaRules) {
  TestDescriptor t(DEEPOBS_CAP_CUDA);
  const std::uint32_t sass[] = {80};
  const std::uint32_t ptx[] = {80};
  t.fp.cuda_runtime_version = 12040;
  t.fp.num_gpu_archs = 1;
  t.fp.gpu_archs = sass;
  const OptimizerInfo info = info_from_descriptor(&t.d, "/p/libx.so");

  DeviceFacts cpu;
  EXPECT_NE(fingerprint_refusal(info, cpu).value_or("").find("CUDA devices only"),
            std::string::npos);

  DeviceFacts h100{Device::cuda(0), 90, 12080, 12080, "H100"};
  // sm_80 SASS does not run on sm_90 (another major).
  EXPECT_NE(fingerprint_refusal(info, h100).value_or("").find("no GPU code for the device H100"),
            std::string::npos);
  DeviceFacts a10{Device::cuda(0), 86, 12080, 12080, "A10"};
  EXPECT_FALSE(fingerprint_refusal(info, a10).has_value());  // sm_80 SASS runs on sm_86

  t.fp.num_ptx_archs = 1;
  t.fp.ptx_archs = ptx;  // PTX for compute_80 JIT-compiles for sm_90
  const OptimizerInfo with_ptx = info_from_descriptor(&t.d, "/p/libx.so");
  EXPECT_FALSE(fingerprint_refusal(with_ptx, h100).has_value());

  DeviceFacts cuda13{Device::cuda(0), 90, 13000, 13000, "H100"};
  const auto other = fingerprint_refusal(with_ptx, cuda13);
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->find("built for CUDA 12.4 but this deepobs uses CUDA 13.0"), std::string::npos);

  DeviceFacts old_driver{Device::cuda(0), 90, 12000, 12020, "H100"};
  const auto driver = fingerprint_refusal(with_ptx, old_driver);
  ASSERT_TRUE(driver.has_value());
  EXPECT_NE(driver->find("driver supports CUDA 12.2 only"), std::string::npos);

  expect_error([&] { check_fingerprint(with_ptx, cuda13); },
               {"optimizer org.example.test (/p/libx.so) cannot run on cuda:0", "CUDA 12.4"});
}

TEST(PluginFingerprint, BuiltinsRunWhereTheExecutableRuns) {
  for (const OptimizerInfo* info : builtin_optimizers()) {
    EXPECT_TRUE(info->is_builtin());
    EXPECT_FALSE(fingerprint_refusal(*info, device_facts(Device::cpu())).has_value());
    EXPECT_EQ(info->descriptor->fingerprint->cuda_runtime_version != 0, Device::cuda_built());
  }
}

// ---------------------------------------------------------------------------------------------
// The hyperparameter spec round-trips into the command line, folder names and JSON values

TEST(PluginHyperparameters, SpecDrivesTheCommandLineAndTheFolderName) {
  const std::string path = DEEPOBS_TEST_PLUGIN_GOOD;
  const char* argv[] = {
      "run",    "quadratic_deep", "--optimizer", path.c_str(),  "--lr", "0.1",  "--mode",
      "signed", "--hp",           "scale=0.5",   "--log_every", "3",    "--hp", "unused=-0.25"};
  std::ostringstream out;
  const auto options = runner::parse_run_options(static_cast<int>(std::size(argv)), argv, out);
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(options->optimizer, path);  // a plugin is found again by its path
  const OptimizerInfo& info = find_optimizer(options->optimizer);
  const Hyperparameters hp = resolve_hyperparameters(info, options->hyperparameters);
  EXPECT_EQ(hp.get_enum("mode"), "signed");
  EXPECT_EQ(hp.get_f64("scale"), 0.5);
  EXPECT_EQ(hp.get_i64("log_every"), 3);
  EXPECT_EQ(hp.get_bool("use_closure"), false);
  EXPECT_EQ(hp.get_f64("unused"), -0.25);

  runner::RunSetting setting;
  setting.num_epochs = 2;
  setting.batch_size = 128;
  setting.learning_rate = 0.1;
  for (const auto& [name, value] : hp.values())
    std::visit([&](const auto& v) { setting.hyperparams.emplace_back(name, v); }, value);
  EXPECT_EQ(runner::setting_folder_name(setting),
            "num_epochs__2__batch_size__128__log_every__3__mode__signed__scale__5.e-01__unused__-"
            "2.5e-01__use_closure__False__lr__1.e-01");

  expect_error(
      [&] {
        resolve_hyperparameters(info, {{"mode", "newton"}, {"unused", "0"}});
      },
      {"GoodTestOptimizer", "'mode' = 'newton' is not one of {plain, signed, hvp}"});
  expect_error([&] { resolve_hyperparameters(info, {}); },
               {"missing required hyperparameter 'unused'"});
  expect_error(
      [&] {
        resolve_hyperparameters(info, {{"scale", "0"}, {"unused", "0"}});
      },
      {"'scale' = 0 is outside (0, inf)"});
}

// ---------------------------------------------------------------------------------------------
// Steps through the host: callbacks, counts, scratch, eval_params, state

class TwoTensors : public Module {
 public:
  explicit TwoTensors(const std::vector<double>& theta) {
    register_parameter(
        "w", Tensor::from_vector(std::vector<double>(theta.begin(), theta.begin() + 3), {3}),
        {ParamKind::Weight, true, 0});
    register_parameter(
        "b", Tensor::from_vector(std::vector<double>(theta.begin() + 3, theta.end()), {2}),
        {ParamKind::Bias, false, 1});
  }
};

// ½ θᵀAθ over the flat buffer's segments (gaps ignored), A symmetric positive definite.
struct Quadratic {
  explicit Quadratic(FlatParameters& f) : flat(f) {}
  static constexpr int n = 5;
  double a(int i, int j) const { return i == j ? 2.0 + i : 0.3 / (1 + i + j); }
  std::vector<std::int64_t> index() const {
    std::vector<std::int64_t> idx;
    for (const auto& s : flat.segments())
      for (std::int64_t k = 0; k < s.numel; ++k)
        idx.push_back(s.offset + k);
    return idx;
  }
  // Loss at the flat buffer `p`; writes the flat gradient to `g` if not null.
  double eval(const double* p, double* g) const {
    const auto idx = index();
    double loss = 0;
    for (int i = 0; i < n; ++i) {
      double ai = 0;
      for (int j = 0; j < n; ++j)
        ai += a(i, j) * p[idx[j]];
      loss += 0.5 * p[idx[i]] * ai;
      if (g) g[idx[i]] = ai;
    }
    return loss;
  }
  FlatParameters& flat;
};

StepContext quadratic_step(Quadratic& q, std::int64_t step, double lr) {
  auto* params = q.flat.params().data<double>();
  auto* grads = q.flat.grads().data<double>();
  q.flat.zero_grad();
  StepContext ctx;
  ctx.step = step;
  ctx.learning_rate = lr;
  ctx.loss = q.eval(params, grads);
  ctx.evaluate = [&q](const void* p, void* g) {
    const double* at = p ? static_cast<const double*>(p) : q.flat.params().data<double>();
    if (g) std::fill_n(static_cast<double*>(g), q.flat.size(), 0.0);
    return q.eval(at, static_cast<double*>(g));
  };
  return ctx;
}

TEST(PluginSteps, HvpIsTheFiniteDifferenceTheHeaderPromises) {
  TwoTensors model({1.0, -2.0, 0.5, 3.0, -1.5});
  FlatParameters flat(model);
  Quadratic q(flat);
  const OptimizerInfo& info = find_optimizer(DEEPOBS_TEST_PLUGIN_GOOD);
  Optimizer opt(
      info, flat,
      resolve_hyperparameters(info, {{"mode", "hvp"}, {"unused", "0"}, {"log_every", "1"}}));
  const auto idx = q.index();
  std::vector<double> before(flat.params().data<double>(),
                             flat.params().data<double>() + flat.size());
  const StepContext ctx = quadratic_step(q, 0, 0.1);
  std::vector<double> g(before.size(), 0.0);
  q.eval(before.data(), g.data());
  opt.step(ctx);
  // θ' = θ − lr·A·g: for a quadratic the central difference is exact up to rounding,
  // ~ machine epsilon / ε = 2^-52 / 2^-17 relative in f64.
  for (int i = 0; i < Quadratic::n; ++i) {
    double hg = 0;
    for (int j = 0; j < Quadratic::n; ++j)
      hg += q.a(i, j) * g[idx[j]];
    const double want = before[idx[i]] - 0.1 * hg;
    EXPECT_NEAR(flat.params().data<double>()[idx[i]], want, 1e-9 * std::abs(want) + 1e-12)
        << "coordinate " << i;
  }
  const OptimizerCost cost = opt.cost();
  EXPECT_EQ(cost.steps, 1);
  EXPECT_EQ(cost.hvp_calls, 1);
  EXPECT_EQ(cost.evaluate_calls, 0);  // the hvp's own two evaluations are not counted here
  EXPECT_EQ(cost.state_bytes, 8);
  EXPECT_EQ(cost.scratch_bytes_peak, flat.size() * 8);
  EXPECT_EQ(opt.state("count").to_vector<std::int64_t>()[0], 1);
  ASSERT_EQ(opt.logged_scalars().count("count"), 1u);
  EXPECT_EQ(opt.logged_scalars().at("count").at(0), (std::pair<std::int64_t, double>{0, 1.0}));
}

TEST(PluginSteps, EvaluateSeesTheSameBatchAndAFailureCarriesThePluginsMessage) {
  TwoTensors model({1.0, -2.0, 0.5, 3.0, -1.5});
  FlatParameters flat(model);
  Quadratic q(flat);
  const OptimizerInfo& info = find_optimizer(DEEPOBS_TEST_PLUGIN_GOOD);
  Optimizer opt(info, flat,
                resolve_hyperparameters(info, {{"use_closure", "true"}, {"unused", "0"}}));
  for (int s = 0; s < 3; ++s)
    opt.step(quadratic_step(q, s, 0.05));
  EXPECT_EQ(opt.cost().evaluate_calls, 3);
  EXPECT_EQ(opt.state("count").to_vector<std::int64_t>()[0], 3);

  // A closure that is not on the step's batch (another loss): the plugin refuses, and the host
  // reports its message with its id and keeps the status.
  StepContext bad = quadratic_step(q, 3, 0.05);
  bad.evaluate = [](const void*, void*) { return 1e9; };
  try {
    opt.step(bad);
    FAIL() << "the step should have failed";
  } catch (const OptimizerStepError& e) {
    EXPECT_EQ(std::string(e.what()),
              "optimizer org.deepobs.test.good: ctx->evaluate gave another loss than the step's "
              "own on the same mini-batch");
    EXPECT_EQ(e.status(), DEEPOBS_STATUS_NUMERICAL_FAILURE);
    EXPECT_EQ(status_name(e.status()), "numerical failure");
  }
  // Without a closure the callback itself fails with a message naming the cause.
  StepContext none = quadratic_step(q, 4, 0.05);
  none.evaluate = nullptr;
  expect_error([&] { opt.step(none); }, {"offers no loss closure"});
}

TEST(PluginSteps, EvalParamsStateRoundTripAndF64) {
  TwoTensors model({1.0, -2.0, 0.5, 3.0, -1.5});
  FlatParameters flat(model);
  Quadratic q(flat);
  const OptimizerInfo& info = find_optimizer(DEEPOBS_TEST_PLUGIN_GOOD);
  Optimizer opt(info, flat, resolve_hyperparameters(info, {{"unused", "0"}}));
  opt.step(quadratic_step(q, 0, 0.1));
  ASSERT_TRUE(opt.has_eval_params());
  const Tensor eval = Tensor::zeros({flat.size()}, DType::F64);
  opt.write_eval_params(eval);
  EXPECT_EQ(eval.to_vector<double>(), flat.params().to_vector<double>());

  const auto saved = opt.save_state();
  opt.step(quadratic_step(q, 1, 0.1));
  EXPECT_EQ(opt.state("count").to_vector<std::int64_t>()[0], 2);
  opt.load_state(saved);
  EXPECT_EQ(opt.state("count").to_vector<std::int64_t>()[0], 1);

  // A plugin built against the ABI 1.0 header steps through this host: plain SGD, exactly.
  const OptimizerInfo& older = load_plugin(DEEPOBS_TEST_PLUGIN_OLDER_MINOR);
  Optimizer sgd(older, flat, Hyperparameters{});
  const auto p0 = flat.params().to_vector<double>();
  const StepContext c = quadratic_step(q, 0, 0.25);
  const auto g = flat.grads().to_vector<double>();
  sgd.step(c);
  const auto p1 = flat.params().to_vector<double>();
  for (std::size_t i = 0; i < p0.size(); ++i)
    EXPECT_EQ(p1[i], p0[i] - 0.25 * g[i]);
}

// What create, init_state and step of a plugin see, recorded by a descriptor written here.
struct Seen {
  std::vector<std::string> names;
  std::vector<std::vector<std::int64_t>> shapes;
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> kinds, groups, layers;
  std::vector<double> decays;
  deepobs_problem problem{};
  std::string problem_name;
  std::vector<deepobs_hparam_value> hparams;
  bool init_called = false;
  double init_loss = 0;
  const void* init_grads = reinterpret_cast<const void*>(1);
  std::int64_t step = -1, epoch = -1;
  double lr = 0, loss = 0;
  std::int32_t hvp_method = -1;
  bool has_lr_device_field = false;
  const double* lr_device = reinterpret_cast<const double*>(1);
};
Seen g_seen;

deepobs_status recording_create(const deepobs_host*, const deepobs_problem* p,
                                const deepobs_hparam_value* hp, std::uint32_t n,
                                deepobs_optimizer_instance** out) {
  g_seen = Seen{};
  g_seen.problem = *p;
  g_seen.problem_name = p->name;
  for (std::uint32_t i = 0; i < p->num_tensors; ++i) {
    const deepobs_tensor_info& t = *p->tensors[i];
    g_seen.names.emplace_back(t.name);
    g_seen.shapes.emplace_back(t.shape, t.shape + t.ndim);
    g_seen.offsets.push_back(t.offset);
    g_seen.kinds.push_back(t.kind);
    g_seen.groups.push_back(t.regularisation_group);
    g_seen.layers.push_back(t.layer_index);
    g_seen.decays.push_back(t.weight_decay);
  }
  g_seen.hparams.assign(hp, hp + n);
  return noop_create(nullptr, nullptr, nullptr, 0, out);
}
deepobs_status recording_init(deepobs_optimizer_instance*, const deepobs_step_context* ctx) {
  g_seen.init_called = true;
  g_seen.init_loss = ctx->loss;
  g_seen.init_grads = ctx->grads;
  return DEEPOBS_STATUS_OK;
}
deepobs_status recording_step(deepobs_optimizer_instance*, const deepobs_step_context* ctx) {
  g_seen.step = ctx->step;
  g_seen.epoch = ctx->epoch;
  g_seen.lr = ctx->learning_rate;
  g_seen.loss = ctx->loss;
  g_seen.hvp_method = ctx->hvp_method;
  g_seen.has_lr_device_field = DEEPOBS_HAS_FIELD(ctx, deepobs_step_context, learning_rate_device);
  g_seen.lr_device = ctx->learning_rate_device;
  return DEEPOBS_STATUS_OK;
}

TEST(PluginSteps, TheProblemAndTheContextDescribeTheRun) {
  TestDescriptor t(DEEPOBS_CAP_CPU | DEEPOBS_CAP_F64);
  const char* const choices[] = {"a", "b"};
  const deepobs_hparam_spec specs[] = {
      {sizeof(deepobs_hparam_spec),
       DEEPOBS_HP_I64,
       "k",
       nullptr,
       DEEPOBS_HP_HAS_DEFAULT,
       {0, 7},
       0,
       100,
       0,
       nullptr},
      {sizeof(deepobs_hparam_spec),
       DEEPOBS_HP_ENUM,
       "which",
       nullptr,
       DEEPOBS_HP_HAS_DEFAULT,
       {0, 1},
       0,
       0,
       2,
       choices},
  };
  t.d.num_hyperparameters = 2;
  t.d.hyperparameters = specs;
  t.d.create = &recording_create;
  t.d.init_state = &recording_init;
  t.d.step = &recording_step;
  const OptimizerInfo info = info_from_descriptor(&t.d, "recording.so");
  TwoTensors model({1.0, -2.0, 0.5, 3.0, -1.5});
  FlatParameters flat(model);
  ProblemFacts facts;
  facts.name = "toy";
  facts.batch_size = 32;
  facts.steps_per_epoch = 10;
  facts.train_set_size = 320;
  facts.num_epochs = 3;
  facts.seed = 7;
  facts.weight_decay = 0.002;
  Optimizer opt(info, flat, resolve_hyperparameters(info, {{"which", "a"}}), facts);

  EXPECT_EQ(g_seen.names, (std::vector<std::string>{"w", "b"}));
  EXPECT_EQ(g_seen.shapes, (std::vector<std::vector<std::int64_t>>{{3}, {2}}));
  EXPECT_EQ(g_seen.offsets,
            (std::vector<std::int64_t>{flat.segments()[0].offset, flat.segments()[1].offset}));
  EXPECT_EQ(g_seen.kinds, (std::vector<std::int32_t>{DEEPOBS_PARAM_WEIGHT, DEEPOBS_PARAM_BIAS}));
  EXPECT_EQ(g_seen.groups, (std::vector<std::int32_t>{1, 0}));
  EXPECT_EQ(g_seen.layers, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(g_seen.decays, (std::vector<double>{0.002, 0.0}));
  EXPECT_EQ(g_seen.problem_name, "toy");
  EXPECT_EQ(g_seen.problem.dtype, DEEPOBS_DTYPE_F64);
  EXPECT_EQ(g_seen.problem.device.type, DEEPOBS_DEVICE_CPU);
  EXPECT_EQ(g_seen.problem.flat_size, flat.size());
  EXPECT_EQ(g_seen.problem.num_parameters, 5);
  EXPECT_EQ(g_seen.problem.batch_size, 32);
  EXPECT_EQ(g_seen.problem.planned_steps, 30);
  EXPECT_EQ(g_seen.problem.seed, 7u);
  ASSERT_EQ(g_seen.hparams.size(), 2u);
  EXPECT_EQ(g_seen.hparams[0].i64, 7);  // the default, both fields filled
  EXPECT_EQ(g_seen.hparams[0].f64, 7.0);
  EXPECT_EQ(g_seen.hparams[1].i64, 0);  // "a" is choice 0 (the default would be 1, "b")
  EXPECT_TRUE(g_seen.init_called);
  EXPECT_TRUE(std::isnan(g_seen.init_loss));
  EXPECT_EQ(g_seen.init_grads, nullptr);

  StepContext ctx;
  ctx.step = 12;
  ctx.epoch = 1;
  ctx.learning_rate = 0.125;
  ctx.loss = 3.5;
  opt.step(ctx);
  EXPECT_EQ(g_seen.step, 12);
  EXPECT_EQ(g_seen.epoch, 1);
  EXPECT_EQ(g_seen.lr, 0.125);
  EXPECT_EQ(g_seen.loss, 3.5);
  EXPECT_EQ(g_seen.hvp_method, DEEPOBS_HVP_FINITE_DIFFERENCE);
  EXPECT_TRUE(g_seen.has_lr_device_field);
  EXPECT_EQ(g_seen.lr_device, nullptr);  // on the CPU
  ctx.learning_rate = std::nan("");
  expect_error([&] { opt.step(ctx); }, {"learning rate must be finite"});
}

// ---------------------------------------------------------------------------------------------
// `deepobs run` with plugins, and the built-ins against the pre-plugin curves

class PluginRunTest : public testing_support::ScratchDirTest {
 protected:
  PluginRunTest() : ScratchDirTest("deepobs_plugins") {}

  using Outcome = testing_support::RunOutcome;
  Outcome run(std::vector<std::string> args) const {
    args.insert(args.end(), {"--output_dir", dir_.string()});
    return testing_support::run_deepobs_run(std::move(args));
  }
  std::vector<fs::path> files(const std::string& extension) const {
    std::vector<fs::path> found;
    if (!fs::exists(dir_)) return found;
    for (const auto& e : fs::recursive_directory_iterator(dir_))
      if (e.is_regular_file() && e.path().string().ends_with(extension)) found.push_back(e.path());
    return found;
  }
  static nlohmann::json load(const fs::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
  }
};

TEST_F(PluginRunTest, AFailingStepStopsTheRunAndKeepsTheResultsSoFar) {
  // quadratic_deep has 7 training steps per epoch at batch 128 (1000 examples, remainder
  // dropped): step 10 lies in the second epoch, after one full epoch and its evaluation.
  const auto r = run({"quadratic_deep", "--optimizer", DEEPOBS_TEST_PLUGIN_ERROR_AT_STEP, "--lr",
                      "0.01", "--num_epochs", "3", "--hp", "fail_at=10"});
  EXPECT_EQ(r.code, runner::kExitStoppedByOptimizer) << r.err;
  EXPECT_NE(r.err.find("optimizer org.deepobs.test.variant: curvature estimate turned negative "
                       "at step 10"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(files(".json").empty()) << "no DeepOBS result file for a stopped run";
  const auto partial = files(".json.partial");
  ASSERT_EQ(partial.size(), 1u) << r.err;
  EXPECT_NE(partial[0].string().find("VariantTestOptimizer/num_epochs__3__batch_size__128__fail_"
                                     "at__10__lr__1.e-02/random_seed__42__"),
            std::string::npos);
  const auto j = load(partial[0]);
  EXPECT_EQ(j["status"], "stopped_by_optimizer");
  EXPECT_EQ(j["optimizer_status"], "numerical failure");
  EXPECT_EQ(j["message"],
            "optimizer org.deepobs.test.variant: curvature estimate turned negative at step 10");
  EXPECT_EQ(j["epochs_completed"], 1);
  EXPECT_EQ(j["train_losses"].size(), 2u);  // before training and after epoch 1
  EXPECT_EQ(j["test_losses"].size(), 2u);
  EXPECT_EQ(j["optimizer_cost"]["steps"], 11);  // steps 0..10, the last one failing
}

TEST_F(PluginRunTest, PluginRunRecordsItsCostAndMatchesTheBuiltinItImitates) {
  // The good plugin with scale 1 and mode plain is gradient descent; its eval_params copy the
  // parameters. The curves must equal the built-in's bit for bit (one host code path).
  const auto plugin = run({"quadratic_deep", "--optimizer", DEEPOBS_TEST_PLUGIN_GOOD, "--lr",
                           "0.01", "--num_epochs", "2", "--hp", "unused=0", "--hp", "use_closure=1",
                           "--hp", "log_every=5"});
  ASSERT_EQ(plugin.code, 0) << plugin.err;
  const auto builtin =
      run({"quadratic_deep", "--optimizer", "sgd", "--lr", "0.01", "--num_epochs", "2"});
  ASSERT_EQ(builtin.code, 0) << builtin.err;
  const auto results = files(".json");
  ASSERT_EQ(results.size(), 2u);
  nlohmann::json p, b;
  for (const auto& f : results)
    (f.string().find("GoodTestOptimizer") != std::string::npos ? p : b) = load(f);
  for (const char* curve : {"train_losses", "test_losses", "minibatch_train_losses"})
    EXPECT_EQ(p[curve], b[curve]) << curve;
  EXPECT_EQ(p["optimizer_name"], "GoodTestOptimizer");
  EXPECT_EQ(p["hyperparams"]["mode"], "plain");
  EXPECT_EQ(p["optimizer_plugin"]["id"], "org.deepobs.test.good");
  EXPECT_EQ(p["optimizer_cost"]["steps"], 14);
  EXPECT_EQ(p["optimizer_cost"]["evaluate_calls"], 14);
  EXPECT_EQ(p["optimizer_cost"]["hvp_calls"], 0);
  EXPECT_EQ(p["optimizer_cost"]["state_bytes"], 8);
  EXPECT_GT(p["optimizer_cost"]["step_seconds"]["total"].get<double>(), 0.0);
  EXPECT_EQ(p["optimizer_log"]["count"].size(), 3u);  // steps 0, 5, 10
  EXPECT_EQ(b["optimizer_plugin"]["id"], "org.deepobs.builtin.gradient_descent");
  EXPECT_EQ(b["optimizer_cost"]["evaluate_calls"], 0);
}

// Curves written by the pre-plugin implementation (commit afa42cf, `deepobs run quadratic_deep
// --num_epochs 2`, seed 42). The built-ins reproduced them bit for bit until the CPU GEMM became
// the blocked kernel (kernels/cpu/gemm_blocked.h), whose summation order differs from Eigen's in
// quadratic_deep's products: the curves now agree to float rounding (~1e-8 relative), and a
// different optimizer rule would move them by orders of magnitude more.
TEST_F(PluginRunTest, BuiltinsReproduceThePrePluginCurves) {
  struct Case {
    std::vector<std::string> args;
    std::vector<double> train, test;
    double last_minibatch;
  };
  const std::vector<Case> cases = {
      {{"--optimizer", "sgd", "--lr", "0.01"},
       {353.7130650111607, 104.7888684953962, 102.80556270054409},
       {353.44677298409596, 106.2639628819057, 104.41336277553013},
       101.2723388671875},
      {{"--optimizer", "momentum", "--lr", "0.01", "--hp", "momentum=0.9"},
       {353.7130650111607, 156.68634251185827, 109.40641348702567},
       {353.44677298409596, 155.78341456821985, 111.02078029087612},
       152.04568481445312},
      {{"--optimizer", "momentum", "--lr", "0.01", "--hp", "momentum=0.9", "--hp",
        "use_nesterov=true"},
       {353.7130650111607, 103.13323102678571, 93.3522469656808},
       {353.44677298409596, 104.2156241280692, 94.84207044328961},
       99.34036254882812},
      {{"--optimizer", "adam", "--lr", "0.001"},
       {353.7130650111607, 345.9932120186942, 339.07567923409596},
       {353.44677298409596, 345.1777997698103, 337.0890895298549},
       347.8624572753906},
  };
  for (const auto& c : cases) {
    fs::remove_all(dir_);
    // The pinned curves were recorded before the data order existed, when every epoch drew a
    // new permutation: --data_order reshuffle is that order (tf1, the default since, replays the
    // first epoch's permutation, so its second epoch differs).
    std::vector<std::string> args = {"quadratic_deep", "--num_epochs", "2", "--data_order",
                                     "reshuffle"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = run(args);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto results = files(".json");
    ASSERT_EQ(results.size(), 1u);
    const auto j = load(results[0]);
    const auto near = [&](double got, double want, const char* what) {
      EXPECT_NEAR(got, want, 1e-6 * std::abs(want)) << c.args[1] << " " << what;
    };
    const auto train = j["train_losses"].get<std::vector<double>>();
    const auto test = j["test_losses"].get<std::vector<double>>();
    ASSERT_EQ(train.size(), c.train.size());
    ASSERT_EQ(test.size(), c.test.size());
    for (std::size_t e = 0; e < train.size(); ++e) {
      near(train[e], c.train[e], "train loss");
      near(test[e], c.test[e], "test loss");
    }
    near(j["minibatch_train_losses"].back().get<double>(), c.last_minibatch, "last minibatch");
  }
}

}  // namespace
}  // namespace deepobs
