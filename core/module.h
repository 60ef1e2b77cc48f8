// Module and Parameter: the containers models are built from.
//
// A Module registers named parameters (trainable tensors with tags), buffers (non-trainable
// tensors that belong to the model: batch-norm running statistics, constants, step counters),
// per-phase state (an LSTM's carried state, zeroed at every phase start) and child modules, all
// in registration order. Names are joined with '/' down the tree ("conv1/weight"), matching the
// segment table of FlatParameters.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace deepobs {

// What a parameter is; optimizers and regularisers select on it (ARCHITECTURE §2).
enum class ParamKind { Weight, Bias, ConvWeight, NormScale, NormShift, Embedding, Recurrent };

std::string_view param_kind_name(ParamKind kind);

struct ParamTags {
  ParamKind kind = ParamKind::Weight;
  bool regularised = false;  // included in the problem's L2 term (wd/2)·Σ‖W‖²
  int layer_index = -1;      // position of the owning layer in the model, -1 if not set
};

struct Parameter {
  Tensor tensor;  // requires_grad() is true
  ParamTags tags;
};

// A parameter reached through the module tree, with its full name. `param` points into the owning
// module and stays valid as long as that module lives and registers nothing further.
struct NamedParameter {
  std::string name;
  Parameter* param;
};

struct NamedBuffer {
  std::string name;
  Tensor* buffer;
};

// How a forward pass runs, set for the whole tree by the one caller that decides it
// (problems::Problem::forward):
//   Train   — training behaviour (dropout on, batch norm on batch statistics and updating its
//             running statistics), random draws of a new step;
//   Eval    — inference behaviour (no dropout, batch norm on its running statistics);
//   Closure — what an optimizer's loss closure evaluates: training behaviour with the draws of the
//             step it belongs to and no update of running statistics, so that it is the same
//             function the step differentiated, however often it is called.
enum class ForwardMode { Train, Eval, Closure };

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Registers a floating-point tensor as a trainable parameter (sets requires_grad) and returns a
  // handle sharing its data. Throws deepobs::Error on an empty or duplicate name or a
  // non-floating tensor.
  Tensor register_parameter(const std::string& name, Tensor value, ParamTags tags);
  // Registers a non-trainable tensor that belongs to the model (e.g. running means).
  Tensor register_buffer(const std::string& name, Tensor value);
  // Registers per-phase state (an LSTM's carried state): a buffer that reset_state() zeroes.
  Tensor register_state(const std::string& name, Tensor value);
  // Takes ownership of a child module and returns a reference to it.
  template <class M>
  M& register_module(const std::string& name, std::unique_ptr<M> child) {
    M& ref = *child;
    add_child(name, std::move(child));
    return ref;
  }

  // All parameters of this module and its children, depth-first in registration order.
  std::vector<NamedParameter> named_parameters();
  // Buffers and per-phase state, depth-first in registration order.
  std::vector<NamedBuffer> named_buffers();
  // Total number of trainable scalars.
  std::int64_t parameter_count();

  // The forward mode of this module and all its children.
  void set_mode(ForwardMode mode);
  ForwardMode mode() const { return mode_; }
  bool training() const { return mode_ != ForwardMode::Eval; }
  // Zeroes every registered state tensor of the tree.
  void reset_state();
  // Moves every parameter, buffer and state tensor to `device`; the tensors' implementations are
  // re-pointed (Tensor::set_data), so the handles layers keep follow. Before packing and backward.
  void to(Device device);

 private:
  void add_child(const std::string& name, std::unique_ptr<Module> child);
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, std::vector<NamedParameter>& out);
  void collect(const std::string& prefix, std::vector<NamedBuffer>& out);

  std::vector<std::pair<std::string, Parameter>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<Tensor> states_;  // the buffers that reset_state() zeroes
  std::vector<std::pair<std::string, std::unique_ptr<Module>>> children_;
  ForwardMode mode_ = ForwardMode::Train;
};

}  // namespace deepobs
