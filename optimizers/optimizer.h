// The optimizer interface: what an update rule declares about itself (OptimizerInfo: names,
// hyperparameter spec, state slots), how hyperparameters given as text are checked and typed
// (resolve_hyperparameters), and the object that updates a model's flat parameter buffer once per
// training step (Optimizer).
//
// The learning rate is not a hyperparameter here: as in DeepOBS v1.1 (SPEC §5.1) the runner owns
// it, applies the schedule and passes the current value with every step (StepContext).
//
// Every optimizer, built-in or loaded from a shared library, is driven through the plugin C ABI
// (optimizers/include/deepobs/optimizer_plugin.h): an OptimizerInfo is the host's typed, validated
// copy of a plugin descriptor (optimizers/descriptor.h), and Optimizer is the host object that
// owns the plugin instance and its state slots and calls the plugin's functions
// (optimizers/plugin_optimizer.cpp). There is one code path for both kinds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/closest_name.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/flat_parameters.h"
#include "core/tensor.h"
#include "optimizers/include/deepobs/optimizer_plugin.h"

namespace deepobs {

// ---------------------------------------------------------------------------------------------
// Hyperparameter spec

// Enum: one of a fixed list of choices (HyperparameterSpec::choices), held as the choice's text.
enum class HyperparameterType { F64, I64, Bool, Enum };

// "f64", "i64", "bool", "enum".
std::string_view hyperparameter_type_name(HyperparameterType type);

// A typed hyperparameter value; the alternative matches a HyperparameterType (double ↔ F64,
// std::int64_t ↔ I64, bool ↔ Bool, std::string ↔ Enum: the choice's text).
using HyperparameterValue = std::variant<double, std::int64_t, bool, std::string>;

HyperparameterType hyperparameter_value_type(const HyperparameterValue& value);

// One hyperparameter of an optimizer: one row of the table that drives the command line,
// validation, the result folder name and the tuners' search spaces.
struct HyperparameterSpec {
  std::string name{};  // as written on the command line and in the result JSON, e.g. "beta1"
  HyperparameterType type = HyperparameterType::F64;
  // Absent: the hyperparameter is required (DeepOBS gives no default, e.g. Momentum's momentum).
  std::optional<HyperparameterValue> default_value{};
  // Admissible range for F64 and I64 (ignored for Bool); each end open or closed. Infinite ends
  // mean unbounded. Non-finite F64 values (nan, inf) are always rejected.
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  bool max_exclusive = false;
  // Whether a tuner should search this hyperparameter on a log scale (epsilon: yes).
  bool log_scale = false;
  std::string doc{};  // one line, shown by `deepobs list` and in error messages
  // Enum only: the admissible choices (the value is one of these texts, matched exactly).
  std::vector<std::string> choices{};
};

// "[0, 1)", "(0, inf)", "any" (for Bool or an unbounded range), "{a, b, c}" for Enum.
std::string range_string(const HyperparameterSpec& spec);
// Whether `value` lies in the spec's range (always true for Bool and Enum).
bool in_range(const HyperparameterSpec& spec, double value);

// How a state slot is shaped; the host allocates and zeroes every slot when the optimizer is
// created and checkpoints them (save_state/load_state).
enum class StateSlotKind {
  LikeParams,  // one element per element of the flat parameter buffer (gaps included), with the
               // parameters' dtype
  Scalar,      // a single element of `dtype`
  Bytes,       // `bytes` opaque bytes (U8), zeroed, checkpointed, never interpreted by the host
};

struct StateSlotSpec {
  std::string name{};  // e.g. "accumulator", "m", "v", "step"
  StateSlotKind kind = StateSlotKind::LikeParams;
  // Scalar: the element type. LikeParams: an explicit element type, or absent for the parameters'
  // dtype (the usual case). Bytes: U8.
  std::optional<DType> dtype{};
  std::string doc{};
  std::int64_t bytes = 0;  // Bytes only: the size
};

// What an optimizer declares about itself: the host's copy of a plugin descriptor, made and
// validated by info_from_descriptor (optimizers/descriptor.h). Built-in infos are static; infos of
// loaded plugins are kept by the plugin cache (optimizers/plugin_loader.h); both live for the
// program.
struct OptimizerInfo {
  // The DeepOBS/TensorFlow class name used in result folders and the JSON (SPEC §1.4), e.g.
  // "MomentumOptimizer".
  std::string name{};
  // Short names accepted on the command line, e.g. "momentum". Lookup ignores ASCII case.
  std::vector<std::string> aliases{};
  std::string description{};  // one line
  // Every hyperparameter except the learning rate, which the runner passes with each step.
  std::vector<HyperparameterSpec> hyperparameters{};
  std::vector<StateSlotSpec> state_slots{};

  // From the plugin descriptor.
  std::string id{};       // reverse-DNS id, e.g. "org.deepobs.builtin.adam"; prefixes errors
  std::string version{};  // the plugin's own version
  std::string author{};
  std::string license{};
  std::uint64_t capabilities = 0;  // DEEPOBS_CAP_* bits
  std::uint32_t abi_version = 0;   // the ABI version the plugin was compiled against
  // "built-in" or the path of the shared library it was loaded from.
  std::string origin{};
  // The descriptor that drives the optimizer (static in the plugin; never null for an info made
  // by info_from_descriptor).
  const deepobs_optimizer_descriptor* descriptor = nullptr;

  bool has_capability(std::uint64_t bit) const { return (capabilities & bit) != 0; }
  bool is_builtin() const { return origin == "built-in"; }

  // The spec named `wanted`, or nullptr.
  const HyperparameterSpec* find_hyperparameter(std::string_view wanted) const;
};

// ---------------------------------------------------------------------------------------------
// Hyperparameter values

// A small map name → typed value, ordered by name (the order DeepOBS uses in folder names,
// SPEC §6.1). Produced by resolve_hyperparameters; a value type, cheap to copy.
class Hyperparameters {
 public:
  // Inserts or replaces a value.
  void set(const std::string& name, HyperparameterValue value);
  bool contains(std::string_view name) const;
  // Typed getters; throw deepobs::Error if the name is absent or holds another type.
  double get_f64(std::string_view name) const;
  std::int64_t get_i64(std::string_view name) const;
  bool get_bool(std::string_view name) const;
  const std::string& get_enum(std::string_view name) const;
  const std::map<std::string, HyperparameterValue, std::less<>>& values() const { return values_; }
  bool empty() const { return values_.empty(); }

 private:
  const HyperparameterValue& at(std::string_view name, HyperparameterType want) const;
  std::map<std::string, HyperparameterValue, std::less<>> values_;
};

// Parses the hyperparameters `given` as text (name → text, as the command line gives them)
// against `info`, fills in defaults for the ones not given and returns the typed values, one per
// spec. Text formats: F64 a decimal or scientific number ("0.99", "1e-8"); I64 a decimal integer;
// Bool "true"/"false" (any ASCII case, so Python's "True"/"False" from DeepOBS folder names work)
// or "1"/"0"; Enum one of the choices, exactly. A leading '+' is accepted for numbers; surrounding
// spaces are not. Throws deepobs::Error with a one-line message naming the optimizer for: an
// unknown name (lists the known ones and suggests the closest), a required hyperparameter not
// given, a text that does not parse as the spec's type (names the hyperparameter, the text and the
// type), and a value outside the spec's range.
Hyperparameters resolve_hyperparameters(const OptimizerInfo& info,
                                        const std::map<std::string, std::string>& given);

// Throws deepobs::Error unless `values` holds exactly the hyperparameters of `info`, each with the
// spec's type and inside its range (what resolve_hyperparameters produces). Optimizers call it on
// construction so a hand-built Hyperparameters cannot bypass validation.
void check_hyperparameters(const OptimizerInfo& info, const Hyperparameters& values);

// ---------------------------------------------------------------------------------------------
// The optimizer object

// Evaluates the training loss on the mini-batch of the current step (the same examples, the model
// in training mode) at `params_or_null` (a flat buffer like FlatParameters::params, same device and
// dtype; nullptr: the current flat parameters) and, if `grad_or_null` is not null, writes the flat
// gradient there. Returns the loss. Leaves the flat parameter and gradient buffers as they were.
// Supplied by the training loop; throws deepobs::Error on failure.
using EvaluateFn = std::function<double(const void* params_or_null, void* grad_or_null)>;

// What the runner tells the optimizer about the current step.
struct StepContext {
  std::int64_t step = 0;       // 0-based global step: updates applied before this one
  std::int64_t epoch = 0;      // 0-based training epoch this step belongs to
  double learning_rate = 0.0;  // the scheduled learning rate for this step; must be finite
  // The mini-batch loss at the parameters before this update (NaN when the caller has none).
  double loss = std::numeric_limits<double>::quiet_NaN();
  double elapsed_seconds = 0.0;  // since training started
  // Same-mini-batch evaluation behind the plugin's ctx->evaluate and ctx->hvp. Empty (e.g. in unit
  // tests that write gradients by hand): those callbacks return DEEPOBS_STATUS_INVALID_ARGUMENT
  // with a message saying this caller offers no loss closure.
  EvaluateFn evaluate{};
};

// Facts about the run that plugins receive in deepobs_problem besides the parameter layout (which
// comes from FlatParameters). Defaults describe "unknown" (0 / empty).
struct ProblemFacts {
  std::string name{};  // DeepOBS test-problem name
  std::int64_t batch_size = 0;
  std::int64_t train_set_size = 0;
  std::int64_t steps_per_epoch = 0;
  int num_epochs = 0;
  std::uint64_t seed = 0;
  double weight_decay = 0.0;  // the L2 coefficient of the regularised tensors
};

// The optimizer's measured cost (result JSON "optimizer_cost").
struct OptimizerCost {
  std::int64_t steps = 0;
  // Seconds inside the plugin's step function per step (callbacks included): CUDA events around
  // the call on the GPU, the host clock on the CPU.
  double step_seconds_mean = 0, step_seconds_median = 0, step_seconds_total = 0;
  std::int64_t evaluate_calls = 0;      // ctx->evaluate calls (an hvp's evaluations not included)
  std::int64_t hvp_calls = 0;           // ctx->hvp calls (each costs two gradient evaluations)
  std::int64_t state_bytes = 0;         // bytes of the state slots
  std::int64_t scratch_bytes_peak = 0;  // peak bytes the plugin held from host->allocate
};

// The host's record of an optimizer's run so far (OptimizerCost's inputs and the logged scalars),
// which a resumed run continues so that its result keys optimizer_cost and optimizer_log cover
// the whole run (Optimizer::bookkeeping / restore_bookkeeping).
struct OptimizerBookkeeping {
  std::vector<double> step_seconds;  // seconds inside the plugin's step, one per step
  std::int64_t evaluate_calls = 0, hvp_calls = 0, scratch_bytes_peak = 0, dropped_scalars = 0;
  std::map<std::string, std::vector<std::pair<std::int64_t, double>>> logged_scalars;
};

// Thrown by Optimizer::step when the plugin's step (or init_state) returns an error status: the
// run must stop. what() is "optimizer <id>: <the plugin's message>".
class OptimizerStepError : public Error {
 public:
  OptimizerStepError(std::string message, deepobs_status status)
      : Error(std::move(message)), status_(status) {}
  deepobs_status status() const { return status_; }

 private:
  deepobs_status status_;
};

// "ok", "invalid argument", ..., "internal"; "unknown status N" otherwise.
std::string status_name(deepobs_status status);

// The host side of one optimizer instance for one run. Created from an OptimizerInfo (whose
// descriptor drives everything): checks the hyperparameters and the build fingerprint against the
// parameters' device, allocates and zeroes the state slots on that device, calls the plugin's
// create and init_state; destroys the instance in its destructor. It keeps a reference to the
// FlatParameters (which must outlive it). Not thread-safe: step, save_state and load_state must
// not run concurrently with each other or with anything that touches the flat buffers; the update
// itself may use the CPU kernel threads or the device's stream.
class Optimizer {
 public:
  // Throws deepobs::Error for hyperparameters that do not match `info`, parameters that are not
  // floating point, a device the plugin does not support (fingerprint, capabilities), or a failing
  // create / init_state ("optimizer <id>: <message>"). `info` must outlive the optimizer.
  Optimizer(const OptimizerInfo& info, FlatParameters& flat, Hyperparameters hyperparameters,
            const ProblemFacts& facts = {});
  ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  const OptimizerInfo& info() const { return info_; }
  const Hyperparameters& hyperparameters() const { return hyperparameters_; }
  FlatParameters& parameters() const { return flat_; }

  // Applies one update: the plugin reads flat.grads(), writes flat.params() and the state. Throws
  // deepobs::Error if ctx.learning_rate is not finite, OptimizerStepError if the plugin fails.
  // A non-finite gradient is not an error: it propagates into the parameters as it would in
  // TensorFlow (the runner detects divergence).
  void step(const StepContext& ctx);
  // Writes the learning rate the plugin reads from device memory (learning_rate_device), with a
  // synchronous copy, when it differs from the one there; step() does this itself. Called before
  // a CUDA-graph capture and before every replay, since a replay does not call step().
  void set_learning_rate(double learning_rate);
  // step() for recording into a CUDA graph (CUDA devices): the same call without the timing
  // events around it (an event recorded inside a capture cannot be read back), so the replayed
  // steps are not in cost(); the learning rate must already be on the device (set_learning_rate).
  void step_for_capture(const StepContext& ctx);

  // Whether the plugin provides evaluation weights (DEEPOBS_CAP_EVAL_PARAMS); then
  // write_eval_params fills `out` (a tensor like flat.params()) with them.
  bool has_eval_params() const;
  void write_eval_params(const Tensor& out);

  // Bytes held by the state slots (0 for plain gradient descent).
  std::int64_t state_bytes() const;
  // The state slot named `name` (a 1-D tensor; LikeParams slots have flat.size() elements).
  // Throws deepobs::Error for an unknown slot name.
  const Tensor& state(std::string_view name) const;

  // Step time, callback counts and memory so far.
  OptimizerCost cost() const;
  // Scalars the plugin logged with ctx->log_scalar: name → (step, value) pairs, at most
  // kMaxLoggedScalars per name; dropped_scalars() counts the rest.
  static constexpr std::size_t kMaxLoggedScalars = 10000;
  const std::map<std::string, std::vector<std::pair<std::int64_t, double>>>& logged_scalars() const;
  std::int64_t dropped_scalars() const;

  // Serialises the optimizer state (not the parameters: the caller checkpoints those) into a
  // self-describing byte vector: format tag, optimizer name, and per slot its name, dtype, element
  // count and raw bytes (host byte order). load_state restores it into an optimizer of the same
  // kind over a buffer of the same size and dtype, so that save → load → continue equals an
  // uninterrupted run bit for bit. load_state throws deepobs::Error (and leaves the state
  // unchanged) on a bad tag, another optimizer's state, mismatching slots, or truncated/extra
  // bytes.
  std::vector<std::uint8_t> save_state() const;
  void load_state(std::span<const std::uint8_t> bytes);
  // What cost() and logged_scalars() are computed from, and its restoration into a fresh
  // optimizer of a resumed run (before its first step). Not part of save_state: it is a record of
  // the run, not state the update reads.
  OptimizerBookkeeping bookkeeping() const;
  void restore_bookkeeping(OptimizerBookkeeping bookkeeping);

  struct Host;  // the host services and bookkeeping (plugin_optimizer.cpp)

 private:
  // The plugin's step with the context filled in; `timed`: CUDA events around it (GPU).
  void call_step(const StepContext& ctx, bool timed);
  const OptimizerInfo& info_;
  FlatParameters& flat_;
  Hyperparameters hyperparameters_;
  std::vector<Tensor> slots_;  // one per info_.state_slots, same order
  std::unique_ptr<Host> host_;
};

}  // namespace deepobs
