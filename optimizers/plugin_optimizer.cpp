// The host side of the optimizer plugin ABI: Optimizer (declared in optimizer.h) owns one plugin
// instance, its state slots and the host services, builds the problem description and the step
// context, and turns the plugin's status codes into exceptions.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

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
namespace {

std::int32_t dtype_code(DType t) {
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

std::int32_t param_kind_code(ParamKind k) {
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

bool valid_log_name(const char* name) {
  if (name == nullptr || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  std::size_t n = 0;
  for (const char* c = name; *c; ++c, ++n) {
    const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (!ok || n >= 64) return false;
  }
  return true;
}

// ---- state serialisation helpers ----

constexpr char kStateMagic[8] = {'D', 'O', 'B', 'S', 'O', 'P', 'T', '\x01'};

template <class T>
void put(std::vector<std::uint8_t>& out, const T& value) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

void put_string(std::vector<std::uint8_t>& out, const std::string& s) {
  put(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

// Bounds-checked reader over the serialised state.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  const std::uint8_t* take(std::size_t n, const char* what) {
    DEEPOBS_CHECK(n <= bytes_.size() - pos_, "Optimizer::load_state: truncated state: ", what,
                  " needs ", n, " bytes at offset ", pos_, " but only ", bytes_.size() - pos_,
                  " remain");
    const std::uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <class T>
  T get(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof(T), what), sizeof(T));
    return value;
  }
  std::string get_string(const char* what) {
    const auto n = get<std::uint32_t>(what);
    const auto* p = take(n, what);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string status_name(deepobs_status status) {
  switch (status) {
    case DEEPOBS_STATUS_OK:
      return "ok";
    case DEEPOBS_STATUS_INVALID_ARGUMENT:
      return "invalid argument";
    case DEEPOBS_STATUS_UNSUPPORTED_DEVICE:
      return "unsupported device";
    case DEEPOBS_STATUS_OUT_OF_MEMORY:
      return "out of memory";
    case DEEPOBS_STATUS_CUDA_ERROR:
      return "CUDA error";
    case DEEPOBS_STATUS_NUMERICAL_FAILURE:
      return "numerical failure";
    case DEEPOBS_STATUS_STOP_REQUESTED:
      return "stop requested";
    case DEEPOBS_STATUS_INTERNAL:
      return "internal error";
    default:
      return cat("unknown status ", status);
  }
}

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
      if (!valid_log_name(name)) {
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
    c.dtype = dtype_code(owner->flat_.params().dtype());
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

Optimizer::Optimizer(const OptimizerInfo& info, FlatParameters& flat,
                     Hyperparameters hyperparameters, const ProblemFacts& facts)
    : info_(info), flat_(flat), hyperparameters_(std::move(hyperparameters)) {
  DEEPOBS_CHECK(info_.descriptor != nullptr, info_.name,
                ": no plugin descriptor (make OptimizerInfo with info_from_descriptor)");
  check_hyperparameters(info_, hyperparameters_);
  const Tensor& params = flat_.params();
  DEEPOBS_CHECK(is_floating(params.dtype()), info_.name, ": parameters must be f32 or f64, got ",
                params.str());
  DEEPOBS_CHECK(params.dtype() == DType::F32 || info_.has_capability(DEEPOBS_CAP_F64), "optimizer ",
                info_.id, " accepts f32 parameters only (no DEEPOBS_CAP_F64), got ", params.str());
  const Device device = params.device();
  // Before any plugin code runs on the device: is the library built for it?
  check_fingerprint(info_, device_facts(device));

  host_ = std::make_unique<Host>();
  Host& h = *host_;
  h.owner = this;
  h.device = device;
  h.c_device.type = device.is_cuda() ? DEEPOBS_DEVICE_CUDA : DEEPOBS_DEVICE_CPU;
  h.c_device.index = device.is_cuda() ? device.index : 0;
  h.c_device.compute_capability = device.is_cuda() ? device_facts(device).compute_capability : 0;
  h.services.struct_size = sizeof(deepobs_host);
  h.services.abi_version = kHostAbiMax;
  h.services.host_data = &h;
  h.services.report_error = &Host::report_error;
  h.services.log = &Host::log;
  h.services.allocate = &Host::allocate;
  h.services.deallocate = &Host::deallocate;

  for (const auto& spec : info_.state_slots) {
    switch (spec.kind) {
      case StateSlotKind::LikeParams:
        slots_.push_back(
            Tensor::zeros({flat_.size()}, spec.dtype.value_or(params.dtype()), device));
        break;
      case StateSlotKind::Scalar:
        slots_.push_back(Tensor::zeros({1}, spec.dtype.value_or(DType::F32), device));
        break;
      case StateSlotKind::Bytes:
        slots_.push_back(Tensor::zeros({spec.bytes}, DType::U8, device));
        break;
    }
    h.slot_pointers.push_back(slots_.back().raw_data());
  }
#if DEEPOBS_WITH_CUDA
  if (device.is_cuda())
    h.lr_device =
        static_cast<double*>(kernels::cuda::device_allocate(device.index, sizeof(double)));
#endif

  // The problem description.
  h.problem_name = facts.name;
  const auto& segments = flat_.segments();
  h.tensor_names.reserve(segments.size());
  h.tensor_shapes.reserve(segments.size());
  h.tensors.reserve(segments.size());
  for (const auto& s : segments) {
    h.tensor_names.push_back(s.name);
    h.tensor_shapes.emplace_back(s.shape.begin(), s.shape.end());
    deepobs_tensor_info t{};
    t.struct_size = sizeof(deepobs_tensor_info);
    t.kind = param_kind_code(s.tags.kind);
    t.name = h.tensor_names.back().c_str();
    t.ndim = static_cast<std::int32_t>(s.shape.size());
    t.shape = h.tensor_shapes.back().data();
    t.offset = s.offset;
    t.numel = s.numel;
    t.regularisation_group = s.tags.regularised ? 1 : 0;
    t.layer_index = s.tags.layer_index;
    t.weight_decay = s.tags.regularised ? facts.weight_decay : 0.0;
    h.tensors.push_back(t);
  }
  for (const auto& t : h.tensors)
    h.tensor_pointers.push_back(&t);
  deepobs_problem& p = h.problem;
  p.struct_size = sizeof(deepobs_problem);
  p.dtype = dtype_code(params.dtype());
  p.name = h.problem_name.c_str();
  p.device = h.c_device;
  p.flat_size = flat_.size();
  p.num_parameters = flat_.num_parameters();
  p.num_tensors = static_cast<std::uint32_t>(h.tensor_pointers.size());
  p.tensors = h.tensor_pointers.data();
  p.batch_size = facts.batch_size;
  p.train_set_size = facts.train_set_size;
  p.steps_per_epoch = facts.steps_per_epoch;
  p.planned_steps = facts.steps_per_epoch * facts.num_epochs;
  p.num_epochs = facts.num_epochs;
  p.seed = facts.seed;

  // Hyperparameter values in spec order, both fields filled (header: deepobs_hparam_value).
  std::vector<deepobs_hparam_value> values;
  for (const auto& spec : info_.hyperparameters) {
    deepobs_hparam_value v{};
    switch (spec.type) {
      case HyperparameterType::F64:
        v.f64 = hyperparameters_.get_f64(spec.name);
        break;
      case HyperparameterType::I64:
        v.i64 = hyperparameters_.get_i64(spec.name);
        v.f64 = static_cast<double>(v.i64);
        break;
      case HyperparameterType::Bool:
        v.i64 = hyperparameters_.get_bool(spec.name) ? 1 : 0;
        v.f64 = static_cast<double>(v.i64);
        break;
      case HyperparameterType::Enum: {
        const auto& choice = hyperparameters_.get_enum(spec.name);
        const auto it = std::find(spec.choices.begin(), spec.choices.end(), choice);
        v.i64 = it - spec.choices.begin();
        v.f64 = static_cast<double>(v.i64);
        break;
      }
    }
    values.push_back(v);
  }

  const deepobs_optimizer_descriptor& d = *info_.descriptor;
  deepobs_optimizer_instance* instance = nullptr;
  const deepobs_status created =
      d.create(&h.services, &h.problem, values.empty() ? nullptr : values.data(),
               static_cast<std::uint32_t>(values.size()), &instance);
  if (created != DEEPOBS_STATUS_OK || instance == nullptr) {
    const std::string message = created != DEEPOBS_STATUS_OK
                                    ? h.take_error(created, "create")
                                    : std::string("create returned OK but no instance");
    throw Error(cat(h.prefix(), message));
  }
  h.instance = instance;
  if (d.init_state != nullptr) {
    const deepobs_step_context c = h.base_context();
    const deepobs_status s = d.init_state(h.instance, &c);
    if (s != DEEPOBS_STATUS_OK) {
      const std::string message = h.take_error(s, "init_state");
      d.destroy(h.instance);
      h.instance = nullptr;
      throw OptimizerStepError(cat(h.prefix(), message), s);
    }
  }
}

Optimizer::~Optimizer() {
  // The instance first; then host_ (a member, destroyed after this body) releases what is left.
  if (host_ && host_->instance) info_.descriptor->destroy(host_->instance);
}

void Optimizer::step(const StepContext& ctx) {
  DEEPOBS_CHECK(std::isfinite(ctx.learning_rate), info_.name,
                ": learning rate must be finite, got ", ctx.learning_rate, " at step ", ctx.step);
  Host& h = *host_;
#if DEEPOBS_WITH_CUDA
  // The device copy of the learning rate changes only with the schedule; the synchronous copy
  // happens here, between steps, never inside one.
  if (h.lr_device && ctx.learning_rate != h.lr_device_value) {
    kernels::cuda::copy_host_to_device(h.device.index, h.lr_device, &ctx.learning_rate,
                                       sizeof(double));
    h.lr_device_value = ctx.learning_rate;
  }
#endif
  deepobs_step_context c = h.base_context();
  c.step = ctx.step;
  c.epoch = ctx.epoch;
  c.learning_rate = ctx.learning_rate;
  c.elapsed_seconds = ctx.elapsed_seconds;
  c.grads = flat_.grads().raw_data();
  c.loss = ctx.loss;
  c.evaluate = &Host::evaluate;
  c.hvp = &Host::hvp;
  c.log_scalar = &Host::log_scalar;
  c.hvp_method = DEEPOBS_HVP_FINITE_DIFFERENCE;

  // The callbacks reach the runner's context through h.current, only during this call (also if
  // a misbehaving plugin lets an exception escape).
  struct CurrentGuard {
    Host& host;
    ~CurrentGuard() { host.current = nullptr; }
  } guard{h};
  h.current = &ctx;
  deepobs_status status = DEEPOBS_STATUS_OK;
  double seconds = 0.0;
#if DEEPOBS_WITH_CUDA
  if (h.device.is_cuda()) {
    cuda_backend::EventTimer timer(h.device);
    timer.start();
    status = info_.descriptor->step(h.instance, &c);
    seconds = timer.stop_ms() / 1e3;
  }
#endif
  if (h.device.is_cpu()) {
    const auto t0 = std::chrono::steady_clock::now();
    status = info_.descriptor->step(h.instance, &c);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  h.step_seconds.push_back(seconds);
  if (status != DEEPOBS_STATUS_OK)
    throw OptimizerStepError(cat(h.prefix(), h.take_error(status, "step")), status);
}

bool Optimizer::has_eval_params() const {
  return info_.descriptor->eval_params != nullptr;
}

void Optimizer::write_eval_params(const Tensor& out) {
  DEEPOBS_CHECK(has_eval_params(), "optimizer ", info_.id, " provides no evaluation parameters");
  DEEPOBS_CHECK(out.numel() == flat_.size() && out.dtype() == flat_.params().dtype() &&
                    out.device() == flat_.params().device(),
                "write_eval_params: out must be like the flat parameters, got ", out.str());
  Host& h = *host_;
  const deepobs_step_context c = h.base_context();
  const deepobs_status s = info_.descriptor->eval_params(h.instance, &c, out.raw_data());
  if (s != DEEPOBS_STATUS_OK)
    throw OptimizerStepError(cat(h.prefix(), h.take_error(s, "eval_params")), s);
}

std::int64_t Optimizer::state_bytes() const {
  std::int64_t total = 0;
  for (const auto& s : slots_)
    total += static_cast<std::int64_t>(s.nbytes());
  return total;
}

const Tensor& Optimizer::state(std::string_view name) const {
  for (std::size_t i = 0; i < info_.state_slots.size(); ++i)
    if (info_.state_slots[i].name == name) return slots_[i];
  std::string names;
  for (const auto& spec : info_.state_slots)
    names += cat(names.empty() ? "" : ", ", spec.name);
  throw Error(cat(info_.name, ": no state slot '", name,
                  "'; slots: ", names.empty() ? std::string("none") : names));
}

OptimizerCost Optimizer::cost() const {
  const Host& h = *host_;
  OptimizerCost c;
  c.steps = static_cast<std::int64_t>(h.step_seconds.size());
  if (!h.step_seconds.empty()) {
    std::vector<double> t = h.step_seconds;
    for (double x : t)
      c.step_seconds_total += x;
    std::sort(t.begin(), t.end());
    c.step_seconds_mean = c.step_seconds_total / static_cast<double>(t.size());
    c.step_seconds_median = t[t.size() / 2];
  }
  c.evaluate_calls = h.evaluate_calls;
  c.hvp_calls = h.hvp_calls;
  c.state_bytes = state_bytes();
  c.scratch_bytes_peak = h.scratch_peak;
  return c;
}

const std::map<std::string, std::vector<std::pair<std::int64_t, double>>>&
Optimizer::logged_scalars() const {
  return host_->logs;
}

std::int64_t Optimizer::dropped_scalars() const {
  return host_->dropped_logs;
}

std::vector<std::uint8_t> Optimizer::save_state() const {
  std::vector<std::uint8_t> out(std::begin(kStateMagic), std::end(kStateMagic));
  put_string(out, info_.name);
  put(out, static_cast<std::uint32_t>(slots_.size()));
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Tensor s = slots_[i].device().is_cpu() ? slots_[i] : slots_[i].to(Device::cpu());
    put_string(out, info_.state_slots[i].name);
    put(out, static_cast<std::uint8_t>(s.dtype()));
    put(out, static_cast<std::int64_t>(s.numel()));
    const auto* p = static_cast<const std::uint8_t*>(s.raw_data());
    out.insert(out.end(), p, p + s.nbytes());
  }
  return out;
}

void Optimizer::load_state(std::span<const std::uint8_t> bytes) {
  const char* where = "Optimizer::load_state";
  Reader in(bytes);
  DEEPOBS_CHECK(std::memcmp(in.take(sizeof(kStateMagic), "the format tag"), kStateMagic,
                            sizeof(kStateMagic)) == 0,
                where, ": not an optimizer state (wrong format tag)");
  const std::string name = in.get_string("the optimizer name");
  DEEPOBS_CHECK(name == info_.name, where, ": the state belongs to ", name, ", not ", info_.name);
  const auto count = in.get<std::uint32_t>("the slot count");
  DEEPOBS_CHECK(count == slots_.size(), where, ": ", info_.name, " has ", slots_.size(),
                " state slots, the saved state has ", count);
  // Validate everything before copying anything, so a bad state leaves this one untouched.
  std::vector<const std::uint8_t*> sources;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const std::string& slot_name = info_.state_slots[i].name;
    const std::string saved_name = in.get_string("a slot name");
    DEEPOBS_CHECK(saved_name == slot_name, where, ": slot ", i, " is '", saved_name,
                  "' in the saved state, expected '", slot_name, "'");
    const auto dtype = in.get<std::uint8_t>("a slot dtype");
    const auto numel = in.get<std::int64_t>("a slot size");
    const Tensor& s = slots_[i];
    DEEPOBS_CHECK(dtype == static_cast<std::uint8_t>(s.dtype()) && numel == s.numel(), where,
                  ": slot '", slot_name, "' was saved with ", numel, " elements of dtype code ",
                  int(dtype), " but this optimizer has ", s.str(), " (another model or dtype?)");
    sources.push_back(in.take(s.nbytes(), "slot data"));
  }
  DEEPOBS_CHECK(in.remaining() == 0, where, ": ", in.remaining(),
                " unexpected bytes after the last slot");
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Tensor& s = slots_[i];
    if (s.device().is_cpu()) {
      std::memcpy(s.raw_data(), sources[i], s.nbytes());
    } else {
      Tensor staged = Tensor::empty(s.shape(), s.dtype(), Device::cpu());
      std::memcpy(staged.raw_data(), sources[i], s.nbytes());
      s.copy_from(staged);
    }
  }
}

}  // namespace deepobs
