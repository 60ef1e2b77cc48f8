// The optimizer interface: what an update rule declares about itself (OptimizerInfo: names,
// hyperparameter spec, state slots), how hyperparameters given as text are checked and typed
// (resolve_hyperparameters), and the object that updates a model's flat parameter buffer once per
// training step (Optimizer).
//
// The learning rate is not a hyperparameter here: as in DeepOBS v1.1 (SPEC §5.1) the runner owns
// it, applies the schedule and passes the current value with every step (StepContext). The
// hyperparameter and state-slot specs are the tables the plugin C ABI (shared/PLUGIN_ABI.md)
// describes, so built-in optimizers and plugins can later share one host code path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/closest_name.h"
#include "core/dtype.h"
#include "core/flat_parameters.h"
#include "core/tensor.h"

namespace deepobs {

// ---------------------------------------------------------------------------------------------
// Hyperparameter spec

enum class HyperparameterType { F64, I64, Bool };

// "f64", "i64", "bool".
std::string_view hyperparameter_type_name(HyperparameterType type);

// A typed hyperparameter value; the alternative matches a HyperparameterType (double ↔ F64,
// std::int64_t ↔ I64, bool ↔ Bool).
using HyperparameterValue = std::variant<double, std::int64_t, bool>;

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
};

// "[0, 1)", "(0, inf)", "any" (for Bool or an unbounded range).
std::string range_string(const HyperparameterSpec& spec);
// Whether `value` lies in the spec's range (always true for Bool).
bool in_range(const HyperparameterSpec& spec, double value);

// How a state slot is shaped; the host allocates and zeroes every slot when the optimizer is
// created and checkpoints them (save_state/load_state).
enum class StateSlotKind {
  LikeParams,  // one element per element of the flat parameter buffer (gaps included), with the
               // parameters' dtype
  Scalar,      // a single element of `dtype`
};

struct StateSlotSpec {
  std::string name{};  // e.g. "accumulator", "m", "v", "step"
  StateSlotKind kind = StateSlotKind::LikeParams;
  DType dtype = DType::F32;  // only for Scalar; LikeParams slots take the parameters' dtype
  std::string doc{};
};

// What an optimizer declares about itself. Built-in infos are static and live for the program.
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
// or "1"/"0". A leading '+' is accepted for numbers; surrounding spaces are not. Throws
// deepobs::Error with a one-line message naming the optimizer for: an unknown name (lists the
// known ones and suggests the closest), a required hyperparameter not given, a text that does not
// parse as the spec's type (names the hyperparameter, the text and the type), and a value outside
// the spec's range.
Hyperparameters resolve_hyperparameters(const OptimizerInfo& info,
                                        const std::map<std::string, std::string>& given);

// Throws deepobs::Error unless `values` holds exactly the hyperparameters of `info`, each with the
// spec's type and inside its range (what resolve_hyperparameters produces). Optimizers call it on
// construction so a hand-built Hyperparameters cannot bypass validation.
void check_hyperparameters(const OptimizerInfo& info, const Hyperparameters& values);

// ---------------------------------------------------------------------------------------------
// The optimizer object

// What the runner tells the optimizer about the current step.
struct StepContext {
  std::int64_t step = 0;       // 0-based global step: updates applied before this one
  std::int64_t epoch = 0;      // 0-based training epoch this step belongs to
  double learning_rate = 0.0;  // the scheduled learning rate for this step; must be finite
};

// Updates the flat parameter buffer of one model, once per training step, from the gradients in
// the flat gradient buffer. Created for one run: it keeps a reference to the FlatParameters (which
// must outlive it) and owns the state slots declared by its OptimizerInfo, allocated on the
// parameters' device and zeroed at creation. Not thread-safe: step, save_state and load_state must
// not run concurrently with each other or with anything that touches the flat buffers; the update
// itself may use the CPU kernel threads.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  const OptimizerInfo& info() const { return info_; }
  const Hyperparameters& hyperparameters() const { return hyperparameters_; }
  FlatParameters& parameters() const { return flat_; }

  // Applies one update: reads flat.grads(), writes flat.params() and the state. Throws
  // deepobs::Error if ctx.learning_rate is not finite. A non-finite gradient is not an error: it
  // propagates into the parameters as it would in TensorFlow (the runner detects divergence).
  void step(const StepContext& ctx);

  // Bytes held by the state slots (0 for plain gradient descent).
  std::int64_t state_bytes() const;
  // The state slot named `name` (a 1-D tensor; LikeParams slots have flat.size() elements).
  // Throws deepobs::Error for an unknown slot name.
  const Tensor& state(std::string_view name) const;

  // Serialises the optimizer state (not the parameters: the caller checkpoints those) into a
  // self-describing byte vector: format tag, optimizer name, and per slot its name, dtype, element
  // count and raw bytes (host byte order). load_state restores it into an optimizer of the same
  // kind over a buffer of the same size and dtype, so that save → load → continue equals an
  // uninterrupted run bit for bit. load_state throws deepobs::Error (and leaves the state
  // unchanged) on a bad tag, another optimizer's state, mismatching slots, or truncated/extra
  // bytes.
  std::vector<std::uint8_t> save_state() const;
  void load_state(std::span<const std::uint8_t> bytes);

 protected:
  // Checks `hyperparameters` against `info` (check_hyperparameters), checks that the parameters
  // are floating-point CPU tensors (the only backend so far), and allocates the zeroed slots.
  // `info` must outlive the optimizer (built-in infos are static).
  Optimizer(const OptimizerInfo& info, FlatParameters& flat, Hyperparameters hyperparameters);

  // The update itself; called by step() after the context has been checked.
  virtual void apply(const StepContext& ctx) = 0;

  // The slot with index i of info().state_slots, for subclasses (mutable).
  Tensor& slot(std::size_t i) { return slots_.at(i); }

 private:
  const OptimizerInfo& info_;
  FlatParameters& flat_;
  Hyperparameters hyperparameters_;
  std::vector<Tensor> slots_;  // one per info_.state_slots, same order
};

}  // namespace deepobs
