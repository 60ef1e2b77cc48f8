// The Adam example plugin (optimizers/examples/adam_cuda) driven through the raw C ABI: its CUDA
// kernel on device buffers against its own CPU path on host buffers, five steps in a row with
// fresh gradients, f32 and f64, on a size that leaves a partial block and needs the grid-stride
// loop. This is the "CPU fallback agrees with the kernel" check the example promises.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "optimizers/include/deepobs/optimizer_plugin.h"
#include "tests/gpu/twin.h"

#if DEEPOBS_WITH_CUDA
#include "core/cuda_backend.h"
#endif

namespace deepobs {
namespace {

#if DEEPOBS_WITH_CUDA

// A host table whose report_error keeps the message for the test's failure output.
struct TestHost {
  deepobs_host table{};
  std::string reported;
  TestHost() {
    table.struct_size = sizeof(deepobs_host);
    table.abi_version = DEEPOBS_OPTIMIZER_ABI_VERSION;
    table.host_data = this;
    table.report_error = [](void* self, deepobs_status, const char* message) {
      static_cast<TestHost*>(self)->reported = message;
    };
    table.log = [](void*, std::int32_t, const char*) {};
    table.allocate = [](void*, std::size_t, void** out) -> deepobs_status {
      *out = nullptr;
      return DEEPOBS_STATUS_OUT_OF_MEMORY;
    };
    table.deallocate = [](void*, void*) {};
  }
};

const deepobs_optimizer_descriptor* load_example() {
  void* library = ::dlopen(DEEPOBS_EXAMPLE_PLUGIN_ADAM_CUDA, RTLD_NOW | RTLD_LOCAL);
  EXPECT_NE(library, nullptr) << ::dlerror();
  if (library == nullptr) return nullptr;
  const auto entry =
      reinterpret_cast<deepobs_optimizer_entry_fn>(::dlsym(library, DEEPOBS_OPTIMIZER_ENTRY_NAME));
  static TestHost host;
  return entry(DEEPOBS_ABI_VERSION(1, 0), DEEPOBS_OPTIMIZER_ABI_VERSION, &host.table);
}

// One instance on `device`, stepped over the given buffers (device or host pointers to match).
struct Instance {
  TestHost host;
  deepobs_problem problem{};
  deepobs_optimizer_instance* handle = nullptr;
  const deepobs_optimizer_descriptor* d;

  Instance(const deepobs_optimizer_descriptor* descriptor, deepobs_device device, int32_t dtype,
           std::int64_t n)
      : d(descriptor) {
    problem.struct_size = sizeof problem;
    problem.dtype = dtype;
    problem.name = "twin";
    problem.device = device;
    problem.flat_size = n;
    problem.num_parameters = n;
    const deepobs_hparam_value hparams[3] = {{0.9, 0}, {0.999, 0}, {1e-8, 0}};
    EXPECT_EQ(d->create(&host.table, &problem, hparams, 3, &handle), DEEPOBS_STATUS_OK)
        << host.reported;
  }
  ~Instance() {
    if (handle) d->destroy(handle);
  }
  void step(void* params, const void* grads, void* const* state, double lr, void* stream) {
    deepobs_step_context ctx{};
    ctx.struct_size = sizeof ctx;
    ctx.dtype = problem.dtype;
    ctx.learning_rate = lr;
    ctx.stream = stream;
    ctx.device = problem.device;
    ctx.flat_size = problem.flat_size;
    ctx.params = params;
    ctx.grads = grads;
    ctx.num_state_slots = 3;
    ctx.state = state;
    ctx.loss = std::nan("");
    ASSERT_EQ(d->step(handle, &ctx), DEEPOBS_STATUS_OK) << host.reported;
  }
};

template <class T>
void check(const deepobs_optimizer_descriptor* d, std::int64_t n, double rtol, double atol,
           const char* why) {
  const DType dtype = sizeof(T) == 8 ? DType::F64 : DType::F32;
  const int32_t abi_dtype = sizeof(T) == 8 ? DEEPOBS_DTYPE_F64 : DEEPOBS_DTYPE_F32;
  const Device gpu = Device::cuda(0);
  Tensor param_cpu = twin::random_tensor({n}, 1).to(dtype);
  Tensor param_gpu = param_cpu.to(gpu);
  Tensor m_cpu = Tensor::zeros({n}, dtype), v_cpu = Tensor::zeros({n}, dtype);
  Tensor m_gpu = m_cpu.to(gpu), v_gpu = v_cpu.to(gpu);
  Tensor step_cpu = Tensor::zeros({1}, DType::I64), step_gpu = step_cpu.to(gpu);
  void* state_cpu[3] = {m_cpu.raw_data(), v_cpu.raw_data(), step_cpu.raw_data()};
  void* state_gpu[3] = {m_gpu.raw_data(), v_gpu.raw_data(), step_gpu.raw_data()};
  Instance on_cpu(d, {DEEPOBS_DEVICE_CPU, 0, 0}, abi_dtype, n);
  Instance on_gpu(d, {DEEPOBS_DEVICE_CUDA, 0, 90}, abi_dtype, n);
  const double lrs[5] = {1e-2, 1e-2, 3e-3, 5e-2, 1e-3};
  for (int s = 0; s < 5; ++s) {
    const Tensor grad = twin::random_tensor({n}, 100 + static_cast<std::uint64_t>(s)).to(dtype);
    const Tensor grad_gpu = grad.to(gpu);
    on_cpu.step(param_cpu.raw_data(), grad.raw_data(), state_cpu, lrs[s], nullptr);
    on_gpu.step(param_gpu.raw_data(), grad_gpu.raw_data(), state_gpu, lrs[s],
                cuda_backend::stream(gpu));
  }
  cuda_backend::synchronize(gpu);
  twin::expect_close(param_gpu, param_cpu, rtol, atol, why);
  twin::expect_close(m_gpu, m_cpu, rtol, atol, why);
  twin::expect_close(v_gpu, v_cpu, rtol, atol, why);
  twin::expect_identical(step_gpu, step_cpu, "the step counter slot");
}

// 1048576 + 12345 elements: more than the kernel's capped grid (4096 blocks of 256) covers in one
// sweep, and a partial last block.
constexpr std::int64_t kSize = (std::int64_t{1} << 20) + 12345;

#endif

TEST(PluginExampleAdam, CudaKernelMatchesCpuPath) {
  SKIP_WITHOUT_GPU();
#if DEEPOBS_WITH_CUDA
  const deepobs_optimizer_descriptor* d = load_example();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->capabilities & DEEPOBS_CAP_CUDA) << "the example was built without its kernel";
  // nvcc contracts a*b+c into FMAs in the example's kernel (its default; the example is built
  // like any outside plugin) and the CPU path does not: ~1 ulp per fused operation, carried
  // through m, v and five steps. pow/sqrt of the bias correction are computed in double on both.
  check<float>(d, kSize, 1e-5, 1e-6, "FMA contraction on the GPU only, f32, 5 steps");
  check<double>(d, kSize, 1e-12, 1e-14, "FMA contraction on the GPU only, f64, 5 steps");
#endif
}

}  // namespace
}  // namespace deepobs
