// Internal to optimizers/: the host side of one plugin instance (Optimizer::Host), i.e. the host
// services table handed to create (report_error, log, allocate, deallocate), the step-context
// callbacks (evaluate, hvp, log_scalar) with their call counts, and the bookkeeping behind
// Optimizer::cost(). Included only by plugin_optimizer.cpp; every callback is a C function pointer
// target and never lets an exception escape.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "optimizers/descriptor.h"
#include "optimizers/optimizer.h"

#if DEEPOBS_WITH_CUDA
#include "core/cuda_backend.h"
#include "kernels/cuda/memory.h"
#endif

namespace deepobs {
namespace plugin_host_detail {

inline std::int32_t dtype_code(DType t) {
  switch (t) {
    case DType::F32:
      return DEEPOBS_DTYPE_F32;
    case DType::F64:
      return DEEPOBS_DTYPE_F64;
    case DType::I32:
      return DEEPOBS_DTYPE_I32;
    case DType::I64:
      return DEEPOBS_DTYPE_I64;
    case DType::U8:
      return DEEPOBS_DTYPE_U8;
  }
  return DEEPOBS_DTYPE_PARAMS;
}

inline std::int32_t param_kind_code(ParamKind k) {
  switch (k) {
    case ParamKind::Weight:
      return DEEPOBS_PARAM_WEIGHT;
    case ParamKind::Bias:
      return DEEPOBS_PARAM_BIAS;
    case ParamKind::ConvWeight:
      return DEEPOBS_PARAM_CONV_WEIGHT;
    case ParamKind::NormScale:
      return DEEPOBS_PARAM_NORM_SCALE;
    case ParamKind::NormShift:
      return DEEPOBS_PARAM_NORM_SHIFT;
    case ParamKind::Embedding:
      return DEEPOBS_PARAM_EMBEDDING;
    case ParamKind::Recurrent:
      return DEEPOBS_PARAM_RECURRENT;
  }
  return DEEPOBS_PARAM_WEIGHT;
}

inline bool valid_log_name(const char* name) {
  if (name == nullptr || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  std::size_t n = 0;
  for (const char* c = name; *c; ++c, ++n) {
    const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (!ok || n >= 64) return false;
  }
  return true;
}

}  // namespace plugin_host_detail

// Everything the host keeps for one instance. Its address is the host_data of the services table
// and the host_private of every step context.
struct Optimizer::Host {
  Optimizer* owner = nullptr;
  deepobs_host services{};
  Device device = Device::cpu();
  deepobs_device c_device{};

  // The last error the plugin (or a host callback) reported during the current call.
  std::string error;
  deepobs_status error_status = DEEPOBS_STATUS_OK;

  // The problem description and what it points to (valid from create to destroy).
  std::string problem_name;
  std::vector<std::string> tensor_names;
  std::vector<std::vector<std::int64_t>> tensor_shapes;
  std::vector<deepobs_tensor_info> tensors;
  std::vector<const deepobs_tensor_info*> tensor_pointers;
  deepobs_problem problem{};
  std::vector<void*> slot_pointers;
  deepobs_optimizer_instance* instance = nullptr;

  // Scratch memory handed out by allocate: pointer → bytes.
  std::map<void*, std::size_t> scratch;
  std::int64_t scratch_current = 0, scratch_peak = 0;

  // Cost accounting.
  std::vector<double> step_seconds;
  std::int64_t evaluate_calls = 0, hvp_calls = 0;
  std::map<std::string, std::vector<std::pair<std::int64_t, double>>> logs;
  std::int64_t dropped_logs = 0;

  // The runner's context of the step in progress (null outside step).
  const StepContext* current = nullptr;

  // CUDA: the learning rate as a double in device memory (ctx->learning_rate_device).
  double* lr_device = nullptr;
  double lr_device_value = std::numeric_limits<double>::quiet_NaN();

  Host() = default;
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;
  // Runs after the instance is destroyed (Optimizer's destructor) or when construction fails:
  // returns scratch memory the plugin did not give back, and the device learning rate.
  ~Host() {
    for (const auto& [ptr, bytes] : scratch) {
      try {
        release(ptr, bytes);
      } catch (...) {
      }
    }
#if DEEPOBS_WITH_CUDA
    if (lr_device) {
      try {
        kernels::cuda::device_deallocate(device.index, lr_device, sizeof(double));
      } catch (...) {
      }
    }
#endif
  }

  std::string prefix() const {
    return cat("optimizer ", owner->info().id, ": ");
  }

  // Takes the recorded message (or a generic one) and clears it.
  std::string take_error(deepobs_status status, const char* function) {
    std::string message = error.empty() ? cat(function, " failed with status '",
                                              status_name(status), "' and reported no message")
                                        : error;
    error.clear();
    error_status = DEEPOBS_STATUS_OK;
    return message;
  }

  void record_error(deepobs_status status, const std::string& message) {
    error = message;
    error_status = status;
  }

  // ---- host services (C callbacks; never throw) ----

  static Host* self(void* host_data) {
    return static_cast<Host*>(host_data);
  }

  static void report_error(void* host_data, deepobs_status status, const char* message) {
    try {
      self(host_data)->record_error(status, message ? message : "");
    } catch (...) {
      // Out of memory while copying a message: keep the status at least.
      self(host_data)->error_status = status;
    }
  }

  static void log(void* host_data, std::int32_t level, const char* message) {
    if (level <= DEEPOBS_LOG_DEBUG && std::getenv("DEEPOBS_PLUGIN_DEBUG") == nullptr) return;
    try {
      std::cerr << self(host_data)->prefix() << (level >= DEEPOBS_LOG_WARNING ? "warning: " : "")
                << (message ? message : "") << "\n";
    } catch (...) {
    }
  }

  static deepobs_status allocate(void* host_data, std::size_t bytes, void** out) {
    Host* h = self(host_data);
    if (out == nullptr) {
      report_error(host_data, DEEPOBS_STATUS_INVALID_ARGUMENT, "allocate: out is NULL");
      return DEEPOBS_STATUS_INVALID_ARGUMENT;
    }
    *out = nullptr;
    if (bytes == 0) return DEEPOBS_STATUS_OK;
    try {
      void* p = nullptr;
      if (h->device.is_cpu()) {
        p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
        if (p == nullptr) throw Error("std::aligned_alloc failed");
      } else {
#if DEEPOBS_WITH_CUDA
        p = kernels::cuda::device_allocate(h->device.index, bytes);
#else
        throw Error("a CUDA device in a build without CUDA");
#endif
      }
      h->scratch[p] = bytes;
      h->scratch_current += static_cast<std::int64_t>(bytes);
      h->scratch_peak = std::max(h->scratch_peak, h->scratch_current);
      *out = p;
      return DEEPOBS_STATUS_OK;
    } catch (const std::exception& e) {
      report_error(
          host_data, DEEPOBS_STATUS_OUT_OF_MEMORY,
          cat("allocate(", bytes, " bytes) on ", h->device.str(), " failed: ", e.what()).c_str());
      return DEEPOBS_STATUS_OUT_OF_MEMORY;
    }
  }

  void release(void* ptr, std::size_t bytes) {
    if (device.is_cpu()) {
      std::free(ptr);
    } else {
#if DEEPOBS_WITH_CUDA
      kernels::cuda::device_deallocate(device.index, ptr, bytes);
#endif
    }
    scratch_current -= static_cast<std::int64_t>(bytes);
  }

  static void deallocate(void* host_data, void* ptr) {
    Host* h = self(host_data);
    if (ptr == nullptr) return;
    const auto it = h->scratch.find(ptr);
    if (it == h->scratch.end()) {
      log(host_data, DEEPOBS_LOG_WARNING, "deallocate of a pointer allocate did not return");
      return;
    }
    try {
      h->release(ptr, it->second);
    } catch (...) {
    }
    h->scratch.erase(it);
  }

  // ---- step-context callbacks ----

  static Host* of(const deepobs_step_context* ctx) {
    return static_cast<Host*>(ctx->host_private);
  }

  static deepobs_status evaluate(const deepobs_step_context* ctx, const void* params_or_null,
                                 double* loss, void* grad_or_null) {
    Host* h = of(ctx);
    ++h->evaluate_calls;
    if (h->current == nullptr || !h->current->evaluate) {
      h->record_error(DEEPOBS_STATUS_INVALID_ARGUMENT,
                      "ctx->evaluate: this caller offers no loss closure (only the training loop "
                      "of `deepobs run` does)");
      return DEEPOBS_STATUS_INVALID_ARGUMENT;
    }
    try {
      const double l = h->current->evaluate(params_or_null, grad_or_null);
      if (loss) *loss = l;
      return DEEPOBS_STATUS_OK;
    } catch (const std::exception& e) {
      h->record_error(DEEPOBS_STATUS_INTERNAL, cat("ctx->evaluate failed: ", e.what()));
      return DEEPOBS_STATUS_INTERNAL;
    }
  }

  static deepobs_status hvp(const deepobs_step_context* ctx, const void* v, void* out) {
    Host* h = of(ctx);
    ++h->hvp_calls;
    if (h->current == nullptr || !h->current->evaluate) {
      h->record_error(DEEPOBS_STATUS_INVALID_ARGUMENT,
                      "ctx->hvp: this caller offers no loss closure (only the training loop of "
                      "`deepobs run` does)");
      return DEEPOBS_STATUS_INVALID_ARGUMENT;
    }
    if (v == nullptr || out == nullptr) {
      h->record_error(DEEPOBS_STATUS_INVALID_ARGUMENT, "ctx->hvp: v and out must not be NULL");
      return DEEPOBS_STATUS_INVALID_ARGUMENT;
    }
    try {
      h->finite_difference_hvp(v, out);
      return DEEPOBS_STATUS_OK;
    } catch (const std::exception& e) {
      h->record_error(DEEPOBS_STATUS_INTERNAL, cat("ctx->hvp failed: ", e.what()));
      return DEEPOBS_STATUS_INTERNAL;
    }
  }

  // out = (g(θ + εv) − g(θ − εv)) / (2ε), ε = r·max(1, rms θ)/rms v, as the header documents.
  void finite_difference_hvp(const void* v, void* out) const {
    const Tensor& theta = owner->flat_.params();
    const DType dtype = theta.dtype();
    const Shape shape{theta.numel()};
    const Tensor vt = Tensor::wrap(const_cast<void*>(v), shape, dtype, device);
    const Tensor ot = Tensor::wrap(out, shape, dtype, device);
    // The arithmetic here is not part of any model graph; the two evaluations are (they need
    // gradients), so NoGrad covers only the arithmetic.
    const auto rms = [](const Tensor& x) {
      autograd::NoGrad no_grad;
      return std::sqrt(ops::mean(ops::square(x)).item());
    };
    const double v_rms = rms(vt);
    if (v_rms == 0.0) {
      ot.fill(0.0);
      return;
    }
    const double r = dtype == DType::F64 ? std::ldexp(1.0, -17) : std::ldexp(1.0, -8);
    const double eps = r * std::max(1.0, rms(theta)) / v_rms;
    Tensor plus, minus;
    {
      autograd::NoGrad no_grad;
      const Tensor step = ops::mul_scalar(vt, eps);
      plus = ops::add(theta, step);
      minus = ops::sub(theta, step);
    }
    const Tensor g_plus = Tensor::zeros(shape, dtype, device);
    const Tensor g_minus = Tensor::zeros(shape, dtype, device);
    current->evaluate(plus.raw_data(), g_plus.raw_data());
    current->evaluate(minus.raw_data(), g_minus.raw_data());
    autograd::NoGrad no_grad;
    ot.copy_from(ops::mul_scalar(ops::sub(g_plus, g_minus), 1.0 / (2.0 * eps)));
  }

  static void log_scalar(const deepobs_step_context* ctx, const char* name, double value) {
    Host* h = of(ctx);
    try {
      if (!plugin_host_detail::valid_log_name(name)) {
        log(h, DEEPOBS_LOG_WARNING,
            cat("log_scalar: name ", name ? cat("'", name, "'") : "NULL",
                " ignored (use [a-z][a-z0-9_]*, at most 64 characters)")
                .c_str());
        return;
      }
      auto& series = h->logs[name];
      if (series.size() >= kMaxLoggedScalars) {
        ++h->dropped_logs;
        return;
      }
      series.emplace_back(ctx->step, value);
    } catch (...) {
    }
  }

  // A context with the buffers and no step facts (init_state, eval_params).
  deepobs_step_context base_context() const {
    deepobs_step_context c{};
    c.struct_size = sizeof(deepobs_step_context);
    c.dtype = plugin_host_detail::dtype_code(owner->flat_.params().dtype());
    c.learning_rate = 0.0;
    c.loss = std::numeric_limits<double>::quiet_NaN();
#if DEEPOBS_WITH_CUDA
    c.stream = device.is_cuda() ? cuda_backend::stream(device) : nullptr;
#endif
    c.device = c_device;
    c.flat_size = owner->flat_.size();
    c.params = owner->flat_.params().raw_data();
    c.num_state_slots = static_cast<std::uint32_t>(slot_pointers.size());
    c.state = slot_pointers.data();
    c.hvp_method = DEEPOBS_HVP_NONE;
    c.host_private = const_cast<Host*>(this);
    c.learning_rate_device = lr_device;
    return c;
  }
};

}  // namespace deepobs
