// The host side of the optimizer plugin ABI: Optimizer (declared in optimizer.h) owns one plugin
// instance and its state slots, builds the problem description and the step context, and turns
// the plugin's status codes into exceptions. The services and callbacks are in plugin_host.h.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "optimizers/descriptor.h"
#include "optimizers/optimizer.h"
#include "optimizers/plugin_host.h"

#if DEEPOBS_WITH_CUDA
#include "core/cuda_backend.h"
#include "kernels/cuda/memory.h"
#endif

namespace deepobs {

using plugin_host_detail::dtype_code;
using plugin_host_detail::param_kind_code;

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

void Optimizer::set_learning_rate(double learning_rate) {
  DEEPOBS_CHECK(std::isfinite(learning_rate), info_.name, ": learning rate must be finite, got ",
                learning_rate);
#if DEEPOBS_WITH_CUDA
  // The device copy of the learning rate changes only with the schedule; the synchronous copy
  // happens between steps, never inside one (nor inside a capture).
  Host& h = *host_;
  if (h.lr_device && learning_rate != h.lr_device_value) {
    kernels::cuda::copy_host_to_device(h.device.index, h.lr_device, &learning_rate, sizeof(double));
    h.lr_device_value = learning_rate;
  }
#endif
}

void Optimizer::step(const StepContext& ctx) {
  DEEPOBS_CHECK(std::isfinite(ctx.learning_rate), info_.name,
                ": learning rate must be finite, got ", ctx.learning_rate, " at step ", ctx.step);
  set_learning_rate(ctx.learning_rate);
  call_step(ctx, true);
}

void Optimizer::step_for_capture(const StepContext& ctx) {
  DEEPOBS_CHECK(std::isfinite(ctx.learning_rate), info_.name,
                ": learning rate must be finite, got ", ctx.learning_rate, " at step ", ctx.step);
  DEEPOBS_CHECK(host_->device.is_cuda(), info_.name, ": a CUDA-graph step needs a CUDA device");
#if DEEPOBS_WITH_CUDA
  DEEPOBS_CHECK(!host_->lr_device || host_->lr_device_value == ctx.learning_rate, info_.name,
                ": set_learning_rate must precede a captured step");
#endif
  call_step(ctx, false);
}

void Optimizer::call_step(const StepContext& ctx, [[maybe_unused]] bool timed) {
  Host& h = *host_;
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
  if (h.device.is_cuda() && !timed) status = info_.descriptor->step(h.instance, &c);
  if (h.device.is_cuda() && timed) {
    if (!h.step_timer) h.step_timer = std::make_unique<cuda_backend::IntervalTimer>(h.device);
    h.step_timer->begin();
    status = info_.descriptor->step(h.instance, &c);
    h.step_timer->end();
  }
#endif
  if (h.device.is_cpu()) {
    const auto t0 = std::chrono::steady_clock::now();
    status = info_.descriptor->step(h.instance, &c);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    h.step_seconds.push_back(seconds);
  }
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
  Host& h = *host_;
  if (h.step_timer)
    for (double ms : h.step_timer->collect_ms())
      h.step_seconds.push_back(ms / 1e3);
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

OptimizerBookkeeping Optimizer::bookkeeping() const {
  (void)cost();  // collects the step times still held by the CUDA timer
  const Host& h = *host_;
  return {h.step_seconds, h.evaluate_calls, h.hvp_calls, h.scratch_peak, h.dropped_logs, h.logs};
}

void Optimizer::restore_bookkeeping(OptimizerBookkeeping b) {
  Host& h = *host_;
  h.step_seconds = std::move(b.step_seconds);
  h.evaluate_calls = b.evaluate_calls;
  h.hvp_calls = b.hvp_calls;
  h.scratch_peak = std::max(h.scratch_peak, b.scratch_bytes_peak);
  h.dropped_logs = b.dropped_scalars;
  h.logs = std::move(b.logged_scalars);
}

const std::map<std::string, std::vector<std::pair<std::int64_t, double>>>&
Optimizer::logged_scalars() const {
  return host_->logs;
}

std::int64_t Optimizer::dropped_scalars() const {
  return host_->dropped_logs;
}

}  // namespace deepobs
