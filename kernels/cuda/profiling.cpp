#include "kernels/cuda/profiling.h"

#include <cuda_runtime.h>
#include <cupti.h>
#include <cxxabi.h>
#include <nvtx3/nvToolsExt.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace deepobs::kernels::cuda {
namespace {

struct DeepobsDomain {
  static constexpr const char* name = "deepobs";
};

nvtxDomainHandle_t domain() {
  static const nvtxDomainHandle_t d = nvtxDomainCreateA(DeepobsDomain::name);
  return d;
}

// CUPTI hands out and returns activity buffers through these callbacks, possibly on its own
// thread; completed buffers wait here until kernel_trace_flush() parses them.
constexpr std::size_t kBufferBytes = 8u << 20;
constexpr std::size_t kAlign = 8;
std::mutex g_mutex;
bool g_tracing = false;
std::vector<std::pair<std::unique_ptr<std::uint8_t[]>, std::size_t>> g_completed;

void CUPTIAPI buffer_requested(std::uint8_t** buffer, std::size_t* size, std::size_t* max_records) {
  *buffer = new (std::nothrow) std::uint8_t[kBufferBytes + kAlign];
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;  // as many as fit
}

void CUPTIAPI buffer_completed(CUcontext, std::uint32_t, std::uint8_t* buffer, std::size_t,
                               std::size_t valid) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_completed.emplace_back(std::unique_ptr<std::uint8_t[]>(buffer), valid);
}

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

const char* memcpy_kind(std::uint8_t kind) {
  switch (kind) {
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD:
      return "memcpy HtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH:
      return "memcpy DtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD:
      return "memcpy DtoD";
    default:
      return "memcpy";
  }
}

const CUpti_ActivityKind kKinds[] = {
    CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
    CUPTI_ACTIVITY_KIND_MEMCPY,
    CUPTI_ACTIVITY_KIND_MEMSET,
    CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION,
    CUPTI_ACTIVITY_KIND_RUNTIME,
    CUPTI_ACTIVITY_KIND_DRIVER,
};

std::string cupti_error(const char* call, CUptiResult r) {
  const char* text = nullptr;
  cuptiGetResultString(r, &text);
  return std::string(call) + " failed: " + (text ? text : "unknown CUPTI error");
}

// FP32 lanes per SM by compute capability (the CUDA C Programming Guide's throughput table).
int fp32_lanes_per_sm(int major, int minor) {
  if (major == 6) return minor == 0 ? 64 : 128;
  if (major == 7) return 64;
  if (major == 8) return minor == 0 ? 64 : 128;
  if (major >= 9) return 128;
  return 128;
}

}  // namespace

void nvtx_push(const char* name) noexcept {
  nvtxEventAttributes_t a{};
  a.version = NVTX_VERSION;
  a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
  a.messageType = NVTX_MESSAGE_TYPE_ASCII;
  a.message.ascii = name;
  nvtxDomainRangePushEx(domain(), &a);
}

void nvtx_pop() noexcept {
  nvtxDomainRangePop(domain());
}

bool nvtx_tool_attached() noexcept {
  return std::getenv("NVTX_INJECTION64_PATH") != nullptr;
}

bool kernel_trace_start(std::string* error) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_tracing) return true;
  CUptiResult r = cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed);
  if (r != CUPTI_SUCCESS) {
    if (error) *error = cupti_error("cuptiActivityRegisterCallbacks", r);
    return false;
  }
  for (CUpti_ActivityKind kind : kKinds) {
    r = cuptiActivityEnable(kind);
    if (r != CUPTI_SUCCESS) {
      if (error) *error = cupti_error("cuptiActivityEnable", r);
      for (CUpti_ActivityKind k : kKinds)
        cuptiActivityDisable(k);
      return false;
    }
  }
  g_tracing = true;
  return true;
}

void kernel_trace_push(std::uint64_t id) noexcept {
  if (g_tracing)
    cuptiActivityPushExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, id);
}

void kernel_trace_pop() noexcept {
  std::uint64_t last = 0;
  if (g_tracing)
    cuptiActivityPopExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, &last);
}

std::vector<TracedKernel> kernel_trace_flush() {
  if (!g_tracing) return {};
  cudaDeviceSynchronize();
  cuptiActivityFlushAll(1);
  std::vector<std::pair<std::unique_ptr<std::uint8_t[]>, std::size_t>> buffers;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    buffers.swap(g_completed);
  }
  // The API call that launched a kernel carries its correlation id; the external-correlation
  // record maps that id to the op scope's id.
  std::unordered_map<std::uint32_t, std::uint64_t> external;
  std::vector<std::pair<std::uint32_t, TracedKernel>> found;
  for (auto& [buffer, valid] : buffers) {
    CUpti_Activity* record = nullptr;
    while (cuptiActivityGetNextRecord(buffer.get(), valid, &record) == CUPTI_SUCCESS) {
      if (record->kind == CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION) {
        const auto* e = reinterpret_cast<const CUpti_ActivityExternalCorrelation*>(record);
        if (e->externalKind == CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0)
          external[e->correlationId] = e->externalId;
      } else if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL ||
                 record->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
        const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
        found.push_back(
            {k->correlationId, {demangle(k->name), 0, k->start, k->end, k->streamId, true}});
      } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(record);
        found.push_back({m->correlationId,
                         {memcpy_kind(m->copyKind), 0, m->start, m->end, m->streamId, false}});
      } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMSET) {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemset4*>(record);
        found.push_back({m->correlationId, {"memset", 0, m->start, m->end, m->streamId, false}});
      }
    }
  }
  std::vector<TracedKernel> out;
  out.reserve(found.size());
  for (auto& [correlation, k] : found) {
    const auto it = external.find(correlation);
    if (it != external.end()) k.external_id = it->second;
    out.push_back(std::move(k));
  }
  return out;
}

void kernel_trace_stop() noexcept {
  if (!g_tracing) return;
  for (CUpti_ActivityKind kind : kKinds)
    cuptiActivityDisable(kind);
  cuptiActivityFlushAll(1);
  std::lock_guard<std::mutex> lock(g_mutex);
  g_completed.clear();
  g_tracing = false;
}

std::uint64_t kernel_trace_timestamp() noexcept {
  std::uint64_t t = 0;
  if (g_tracing) cuptiGetTimestamp(&t);
  return t;
}

bool device_limits(int index, DeviceLimits* out, std::string* error) {
  int sms = 0, clock_khz = 0, mem_clock_khz = 0, bus_bits = 0, major = 0, minor = 0;
  const std::pair<cudaDeviceAttr, int*> attrs[] = {
      {cudaDevAttrMultiProcessorCount, &sms},       {cudaDevAttrClockRate, &clock_khz},
      {cudaDevAttrMemoryClockRate, &mem_clock_khz}, {cudaDevAttrGlobalMemoryBusWidth, &bus_bits},
      {cudaDevAttrComputeCapabilityMajor, &major},  {cudaDevAttrComputeCapabilityMinor, &minor},
  };
  for (const auto& [attr, value] : attrs) {
    const cudaError_t status = cudaDeviceGetAttribute(value, attr, index);
    if (status != cudaSuccess) {
      if (error) *error = cudaGetErrorString(status);
      cudaGetLastError();
      return false;
    }
  }
  const int lanes = fp32_lanes_per_sm(major, minor);
  out->fp32_flops_per_s = 2.0 * sms * lanes * clock_khz * 1e3;
  out->bytes_per_s = 2.0 * mem_clock_khz * 1e3 * bus_bits / 8.0;
  out->how = std::to_string(sms) + " SMs x " + std::to_string(lanes) +
             " FP32 lanes x 2 FLOP/FMA x " + std::to_string(clock_khz / 1000) + " MHz; 2 x " +
             std::to_string(mem_clock_khz / 1000) + " MHz x " + std::to_string(bus_bits) +
             "-bit bus (cudaDeviceGetAttribute, sm_" + std::to_string(major) +
             std::to_string(minor) + ")";
  return true;
}

}  // namespace deepobs::kernels::cuda
