// Every problem of the registry on the GPU against the CPU: the GPU-resident data gives the same
// batches bit for bit, the gradients of one batch agree, one full training step agrees, and
// --deterministic reruns are bit-identical. Skips cleanly without a usable GPU.
//
// MNIST-format problems run on synthetic IDX files (random bytes of the standard 60,000/10,000
// sizes, written once per process): agreement between devices does not depend on the pixels, and
// the GPU machine has no data packages. The CIFAR-10/CIFAR-100/SVHN problems run on small fixture
// folders in the real record formats (tests/common/image_fixtures.h: 260 training and 130 test
// images each), the VGGs at batch 8 (a CPU VGG step at batch 128 would take minutes).
// tolstoi_char_rnn runs on random .npy id files likewise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/flat_parameters.h"
#include "datasets/npy.h"
#include "optimizers/registry.h"
#include "problems/registry.h"
#include "tests/common/image_fixtures.h"
#include "tests/common/imagenet_fixture.h"
#include "twin.h"
#if DEEPOBS_WITH_CUDA
#include "core/cuda_backend.h"
#endif

namespace deepobs {
namespace {

namespace fs = std::filesystem;
using datasets::Batch;
using datasets::Phase;

// ---- synthetic MNIST-format files ----

void write_idx(const fs::path& path, const std::vector<std::uint32_t>& extents,
               const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> bytes = {0, 0, 0x08, static_cast<std::uint8_t>(extents.size())};
  for (std::uint32_t e : extents)
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(static_cast<std::uint8_t>(e >> shift));
  bytes.insert(bytes.end(), data.begin(), data.end());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(cat("cannot write ", path.string()));
}

void write_split(const fs::path& dir, const std::string& prefix, std::uint32_t n,
                 std::mt19937& gen) {
  std::vector<std::uint8_t> images(static_cast<std::size_t>(n) * 28 * 28), labels(n);
  std::uniform_int_distribution<int> byte(0, 255), label(0, 9);
  for (auto& b : images)
    b = static_cast<std::uint8_t>(byte(gen));
  for (auto& l : labels)
    l = static_cast<std::uint8_t>(label(gen));
  const std::string img = prefix == "train" ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
  const std::string lab = prefix == "train" ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
  write_idx(dir / img, {n, 28, 28}, images);
  write_idx(dir / lab, {n}, labels);
}

// A data root holding mnist/ and fmnist/ with random contents, removed at exit.
const std::string& fake_data_root() {
  static const std::string root = [] {
    const fs::path r = fs::temp_directory_path() / ("deepobs_gpu_data_" + std::to_string(getpid()));
    fs::remove_all(r);
    std::mt19937 gen(4242);
    for (const char* name : {"mnist", "fmnist"}) {
      fs::create_directories(r / name);
      write_split(r / name, "train", 60000, gen);
      write_split(r / name, "test", 10000, gen);
    }
    for (const char* name : {"cifar10", "cifar100", "svhn"})
      test_images::write_data_set(r, name, std::string(name) == "cifar100" ? 260 : 52, 130);
    // Tolstoi's ids (tolstoi_char_rnn): every one of the 83 characters occurs; at batch 128,
    // three training batches and one test batch of 128×50.
    fs::create_directories(r / "tolstoi");
    std::uniform_int_distribution<std::int64_t> id(0, 82);
    for (const auto& [file, n] : {std::pair{"train.npy", 20000}, std::pair{"test.npy", 7000}}) {
      std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
      for (std::size_t i = 0; i < ids.size(); ++i)
        ids[i] = i < 83 ? static_cast<std::int64_t>(i) : id(gen);
      std::ofstream(r / "tolstoi" / file, std::ios::binary) << datasets::npy_int64_bytes(ids);
    }
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fs::temp_directory_path() / ("deepobs_gpu_data_" + std::to_string(getpid())),
                     ec);
    });
    return r.string();
  }();
  return root;
}

// The batch size the per-problem tests use: 128, the VGGs 8.
// VGG at batch 8 and the Wide ResNets at 16: a CPU step of either at batch 128 would take minutes.
std::int64_t test_batch_size(const std::string& problem) {
  if (problem.find("_vgg") != std::string::npos) return 8;
  if (problem.find("_wrn") != std::string::npos) return 16;
  return 128;
}

problems::ProblemConfig config_on(Device device, std::int64_t batch_size = 128) {
  problems::ProblemConfig c;
  c.batch_size = batch_size;
  c.seed = 42;
  c.data_dir = fake_data_root();
  c.device = device;
  c.image.official_sizes = false;  // the CIFAR/SVHN fixtures are small
  return c;
}

// Every problem whose data the fake root holds: the ImageNet problems run on an in-memory data set
// instead (CudaImageNetProblem below).
std::vector<std::string> all_problems() {
  std::vector<std::string> names;
  for (const auto& e : problems::problem_registry())
    if (e.info.dataset != "imagenet") names.push_back(e.info.name);
  return names;
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to(Device::cpu()).to_vector<double>())
    m = std::max(m, std::abs(v));
  return m;
}

Tensor first_train_batch_loss(problems::Problem& p, FlatParameters& flat, Batch& b) {
  p.start(Phase::Train);
  EXPECT_TRUE(p.next(b));
  flat.zero_grad();
  const Tensor loss = p.forward(b, ForwardMode::Train).loss;
  autograd::backward(loss);
  return loss;
}

// ---- the data path ----

TEST(CudaProblems, DataAndParametersLiveOnTheDevice) {
  SKIP_WITHOUT_GPU();
  auto p = problems::build_problem("fmnist_2c2d", config_on(Device::cuda(0)));
  FlatParameters& flat = p->flat();
  EXPECT_EQ(flat.params().device(), Device::cuda(0));
  EXPECT_EQ(flat.grads().device(), Device::cuda(0));
  for (const auto& np : p->model().named_parameters())
    EXPECT_EQ(np.param->tensor.device(), Device::cuda(0)) << np.name;
  p->data().start(Phase::Train);
  Batch b;
  ASSERT_TRUE(p->data().next(b));
  EXPECT_EQ(b.inputs.device(), Device::cuda(0));
  EXPECT_EQ(b.inputs.dtype(), DType::F32);
  EXPECT_EQ(b.labels.device(), Device::cuda(0));
}

// The GPU gathers from the uploaded bytes with the CPU's permutation: identical batches, in every
// phase, in the second epoch and the second train_eval pass too, under both data orders (tf1
// uploads its one permutation once; reshuffle a new one per pass).
TEST(CudaProblems, GpuBatchesEqualCpuBatchesExactly) {
  SKIP_WITHOUT_GPU();
  for (const std::string name :
       {"fmnist_2c2d", "quadratic_deep", "two_d_beale", "cifar10_3c3d", "svhn_3c3d"}) {
    for (auto order : {datasets::DataOrder::Tf1, datasets::DataOrder::Reshuffle}) {
      SCOPED_TRACE(name + " " + std::string(datasets::data_order_name(order)));
      auto cpu_config = config_on(Device::cpu());
      auto gpu_config = config_on(Device::cuda(0));
      cpu_config.data_order = gpu_config.data_order = order;
      auto cpu = problems::build_problem(name, cpu_config);
      auto gpu = problems::build_problem(name, gpu_config);
      for (Phase phase :
           {Phase::Train, Phase::TrainEval, Phase::Train, Phase::TrainEval, Phase::Test}) {
        cpu->data().start(phase);
        gpu->data().start(phase);
        const std::int64_t n = cpu->data().batches(phase);
        ASSERT_EQ(gpu->data().batches(phase), n);
        Batch bc, bg;
        for (std::int64_t i = 0; i < n; ++i) {
          ASSERT_TRUE(cpu->data().next(bc));
          ASSERT_TRUE(gpu->data().next(bg));
          if (i >= 3 && i != n - 1) continue;  // first three and last batch: every index path
          twin::expect_identical(bg.inputs, bc.inputs, "inputs of batch " + std::to_string(i));
          if (bc.labels.defined())
            twin::expect_identical(bg.labels, bc.labels, "labels of batch " + std::to_string(i));
        }
        EXPECT_FALSE(gpu->data().next(bg));
      }
    }
  }
}

// ---- gradients and a training step ----

// One training step of the same problem (seed, data) on the CPU and on the GPU: identical initial
// parameters and batch, losses and gradients within the f32 tolerances. Returns the GPU's loss;
// `bg` holds the GPU's batch.
Tensor expect_first_step_agrees(problems::Problem& cpu, problems::Problem& gpu, Batch& bg) {
  FlatParameters &fc = cpu.flat(), &fg = gpu.flat();
  EXPECT_EQ(fc.size(), fg.size());
  twin::expect_identical(fg.params(), fc.params(), "initial parameters (built on the CPU, moved)");
  Batch bc;
  const Tensor lc = first_train_batch_loss(cpu, fc, bc);
  const Tensor lg = first_train_batch_loss(gpu, fg, bg);
  twin::expect_identical(bg.inputs, bc.inputs, "the first training batch");
  twin::expect_close(lg, lc, 1e-4, 0.0,
                     "the logits/quadratic forms come from cuBLAS/cuDNN sums in another order "
                     "(relative ~1e-6 each), then a mean over 128 losses in another order; the "
                     "cross-entropy's log-sum-exp minus the label logit can cancel a digit");
  // Gradients are sums of up to 25,088 products for the MNIST problems (conv2's filter gradient:
  // 128·14·14) and 401,408 for the VGGs (conv1's filter gradient at batch 8: 8·224·224); cuBLAS
  // and cuDNN pick other summation orders (and cuDNN may use Winograd/FFT transforms, exact in
  // exact arithmetic). Relative 1e-3, plus 1e-4 of the largest gradient for the entries that are
  // sums of cancelling terms (their relative error is unbounded).
  twin::expect_close(fg.grads(), fc.grads(), 1e-3, 1e-4 * max_abs(fc.grads()),
                     "f32 sums in another order (cuBLAS/cuDNN vs Eigen); strict FP32, no TF32");
  return lg;
}

class CudaProblemGradients : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaProblemGradients, MatchTheCpuOnTheSameBatch) {
  SKIP_WITHOUT_GPU();
  const std::int64_t batch = test_batch_size(GetParam());
  auto cpu = problems::build_problem(GetParam(), config_on(Device::cpu(), batch));
  auto gpu = problems::build_problem(GetParam(), config_on(Device::cuda(0), batch));
  Batch bg;
  expect_first_step_agrees(*cpu, *gpu, bg);
}

INSTANTIATE_TEST_SUITE_P(EveryProblem, CudaProblemGradients, ::testing::ValuesIn(all_problems()),
                         [](const auto& p) { return p.param; });

class CudaTrainingStep : public ::testing::TestWithParam<std::string> {};

// One full step (zero_grad, forward, backward, optimizer) with momentum: the parameter update of
// the GPU agrees with the CPU's.
TEST_P(CudaTrainingStep, MatchesTheCpu) {
  SKIP_WITHOUT_GPU();
  const double lr = 0.01;
  const Hyperparameters hps =
      resolve_hyperparameters(find_optimizer("momentum"), {{"momentum", "0.9"}});
  auto step = [&](Device device, Tensor& before) {
    auto p = problems::build_problem(GetParam(), config_on(device, test_batch_size(GetParam())));
    FlatParameters* flat = &p->flat();
    auto opt = make_optimizer("momentum", *flat, hps);
    before = flat->params().to(Device::cpu());
    Batch b;
    first_train_batch_loss(*p, *flat, b);
    opt->step({0, 0, lr});
    const Tensor after = flat->params().to(Device::cpu());
    std::vector<float> a = after.to_vector<float>(), o = before.to_vector<float>();
    for (std::size_t i = 0; i < a.size(); ++i)
      a[i] -= o[i];
    return Tensor::from_vector(a, after.shape());  // the update, computed on the host
  };
  Tensor before_c, before_g;
  const Tensor dc = step(Device::cpu(), before_c);
  const Tensor dg = step(Device::cuda(0), before_g);
  twin::expect_identical(before_g, before_c, "parameters before the step");
  twin::expect_close(dg, dc, 1e-3, 1e-4 * max_abs(dc),
                     "the update is −lr·gradient in the first momentum step: the gradients' "
                     "tolerance (f32 sums in another order), plus the rounding of p − lr·g");
}

INSTANTIATE_TEST_SUITE_P(EveryProblem, CudaTrainingStep, ::testing::ValuesIn(all_problems()),
                         [](const auto& p) { return p.param; });

// ---- determinism ----

#if DEEPOBS_WITH_CUDA
// Restores the default policies when a test ends, whatever happened.
struct PolicyScope {
  explicit PolicyScope(const cuda_backend::Policies& p) { cuda_backend::set_policies(device, p); }
  ~PolicyScope() { cuda_backend::set_policies(device, {}); }
  Device device = Device::cuda(0);
};
#endif

TEST(CudaProblems, DeterministicRerunsAreBitIdentical) {
  SKIP_WITHOUT_GPU();
#if DEEPOBS_WITH_CUDA
  PolicyScope scope({/*deterministic=*/true, /*tf32=*/false});
  for (const std::string name :
       {"fmnist_2c2d", "fmnist_mlp", "quadratic_deep", "svhn_wrn164", "tolstoi_char_rnn"}) {
    SCOPED_TRACE(name);
    const Hyperparameters hps =
        resolve_hyperparameters(find_optimizer("momentum"), {{"momentum", "0.9"}});
    auto train_steps = [&](std::vector<double>& losses) {
      auto p = problems::build_problem(name, config_on(Device::cuda(0)));
      FlatParameters& flat = p->flat();
      auto opt = make_optimizer("momentum", flat, hps);
      p->start(Phase::Train);
      Batch b;
      for (std::int64_t s = 0; s < 5 && p->next(b); ++s) {
        flat.zero_grad();
        const Tensor loss = p->forward(b, ForwardMode::Train).loss;
        autograd::backward(loss);
        opt->step({s, 0, 0.01});
        losses.push_back(loss.to(Device::cpu()).item());
      }
      return flat.params().to(Device::cpu());
    };
    std::vector<double> l1, l2;
    const Tensor p1 = train_steps(l1);
    const Tensor p2 = train_steps(l2);
    EXPECT_EQ(l1, l2) << "losses of two deterministic runs";
    twin::expect_identical(p2, p1, "parameters after 5 deterministic steps");
  }
#endif
}

// The VAE's draws on the device: the eval noise counter lives in device memory and restarts with
// the pass, so a GPU evaluation pass replays itself exactly and draws the CPU's ε (the losses agree
// to the forward tolerance); Closure on the GPU redraws the step's masks and ε (bit-identical
// under --deterministic, where cuDNN's algorithms are fixed).
TEST(CudaProblems, VaeEvaluationAndClosureDrawTheCpusNumbers) {
  SKIP_WITHOUT_GPU();
#if DEEPOBS_WITH_CUDA
  PolicyScope scope({/*deterministic=*/true, /*tf32=*/false});
  auto evaluate = [](problems::Problem& p) {
    autograd::NoGrad guard;
    p.start(Phase::Test);
    std::vector<double> losses;
    Batch b;
    for (int i = 0; i < 3 && p.next(b); ++i)
      losses.push_back(p.forward(b, ForwardMode::Eval).loss.to(Device::cpu()).item());
    return losses;
  };
  for (const std::string name : {"mnist_vae", "fmnist_vae"}) {
    SCOPED_TRACE(name);
    auto cpu = problems::build_problem(name, config_on(Device::cpu(), 64));
    auto gpu = problems::build_problem(name, config_on(Device::cuda(0), 64));
    const auto lc = evaluate(*cpu), lg = evaluate(*gpu);
    ASSERT_EQ(lc.size(), 3u);
    ASSERT_EQ(lg.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i)
      EXPECT_NEAR(lg[i], lc[i], 1e-4 * std::abs(lc[i]))
          << "test batch " << i << ": same ε, f32 sums in another order";
    EXPECT_EQ(evaluate(*gpu), lg) << "a restarted GPU pass replays its noise";
    FlatParameters& flat = gpu->flat();
    Batch b;
    const Tensor step = first_train_batch_loss(*gpu, flat, b);
    const std::vector<float> step_grad = flat.grads().to(Device::cpu()).to_vector<float>();
    flat.zero_grad();
    const Tensor closure = gpu->forward(b, ForwardMode::Closure).loss;
    autograd::backward(closure);
    EXPECT_EQ(closure.to(Device::cpu()).item(), step.to(Device::cpu()).item());
    EXPECT_EQ(flat.grads().to(Device::cpu()).to_vector<float>(), step_grad);
  }
#endif
}

// tolstoi_char_rnn on the GPU (cuDNN LSTM, embedding kernels, device-side dropout masks): the
// carried state makes the second batch depend on the first, in training and in evaluation; both
// agree with the CPU twin, and Closure replays its step exactly on the device.
TEST(CudaProblems, CharRnnCarriesItsStateAndReplaysItsStepLikeTheCpu) {
  SKIP_WITHOUT_GPU();
  struct Losses {
    double train2 = 0, closure2 = 0, eval2 = 0;
  };
  const auto run = [](Device device) {
    auto p = problems::build_problem("tolstoi_char_rnn", config_on(device, 16));
    Losses l;
    Batch b;
    p->start(Phase::Train);
    EXPECT_TRUE(p->next(b));
    {
      autograd::NoGrad no_grad;
      p->forward(b, ForwardMode::Train);
    }
    EXPECT_TRUE(p->next(b));
    p->flat().zero_grad();
    const Tensor loss = p->forward(b, ForwardMode::Train).loss;
    autograd::backward(loss);
    l.train2 = loss.item();
    autograd::NoGrad no_grad;
    l.closure2 = p->forward(b, ForwardMode::Closure).loss.item();
    p->start(Phase::Test);
    EXPECT_TRUE(p->next(b));
    p->forward(b, ForwardMode::Eval);
    EXPECT_TRUE(p->next(b));
    l.eval2 = p->forward(b, ForwardMode::Eval).loss.item();
    return l;
  };
  const Losses c = run(Device::cpu()), g = run(Device::cuda(0));
  EXPECT_EQ(g.closure2, g.train2) << "Closure reruns the step: same masks, same starting state";
  EXPECT_EQ(c.closure2, c.train2);
  // 100 LSTM steps (two batches of 50) of f32 GEMMs in cuDNN's order vs Eigen's, expf/tanhf ulps.
  EXPECT_NEAR(g.train2, c.train2, 1e-4 * c.train2);
  EXPECT_NEAR(g.eval2, c.eval2, 1e-4 * c.eval2);
}

// ---- the ImageNet problems ----

// imagenet_vgg16/19 and imagenet_inception_v3 on a small in-memory data set in ImageNet's batch
// contract (the GPU machine has no ImageNet), batch 2: one training step's loss and gradients
// agree with the CPU twin; under --deterministic the GPU's loss closure replays the step (masks,
// batch statistics, auxiliary head) bit for bit; evaluation agrees and keeps the statistics.
class CudaImageNetProblem : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaImageNetProblem, StepMatchesTheCpuAndClosureReplaysIt) {
  SKIP_WITHOUT_GPU();
#if DEEPOBS_WITH_CUDA
  PolicyScope scope({/*deterministic=*/true, /*tf32=*/false});
  auto cpu = testing::imagenet_fixture_problem(GetParam(), 2, Device::cpu());
  auto gpu = testing::imagenet_fixture_problem(GetParam(), 2, Device::cuda(0));
  FlatParameters& fg = gpu->flat();
  Batch bc, bg;
  const Tensor lg = expect_first_step_agrees(*cpu, *gpu, bg);
  const std::vector<float> step_grads = fg.grads().to(Device::cpu()).to_vector<float>();
  fg.zero_grad();
  const Tensor closure = gpu->forward(bg, ForwardMode::Closure).loss;
  autograd::backward(closure);
  EXPECT_EQ(closure.to(Device::cpu()).item(), lg.to(Device::cpu()).item());
  EXPECT_EQ(fg.grads().to(Device::cpu()).to_vector<float>(), step_grads);
  autograd::NoGrad no_grad;
  cpu->start(Phase::Test);
  gpu->start(Phase::Test);
  ASSERT_TRUE(cpu->next(bc));
  ASSERT_TRUE(gpu->next(bg));
  const double ec = cpu->forward(bc, ForwardMode::Eval).loss.item();
  const double eg = gpu->forward(bg, ForwardMode::Eval).loss.to(Device::cpu()).item();
  EXPECT_NEAR(eg, ec, 1e-3 * std::abs(ec)) << "moving statistics after one step, f32 sums";
#endif
}

INSTANTIATE_TEST_SUITE_P(ImageNet, CudaImageNetProblem,
                         ::testing::Values("imagenet_vgg16", "imagenet_vgg19",
                                           "imagenet_inception_v3"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace deepobs
