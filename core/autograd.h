// Reverse-mode autograd over a graph recorded per step, freed as it is back-propagated.
//
// Each differentiable op that sees an input requiring gradients records one Node: edges to the
// nodes that made its inputs (or to the leaf tensors themselves), the tensors its backward rule
// reads (saved, as data only) and the rule. An output tensor owns its node, a node owns the nodes
// of its inputs, so a graph lives exactly as long as something holds its result; an activation no
// rule saved is freed as soon as the forward pass drops it.
//
// backward(root) runs the nodes `root` reaches, in reverse recording order (so every step runs
// the same kernels in the same order), and releases each node, its saved tensors and its output
// gradients right after its rule has run: activations are freed during the backward pass, and a
// graph recorded beside it (another device, another model) is neither run nor touched. Gradients
// accumulate into the leaves (TensorImpl::grad; parameters into their slice of the flat gradient
// buffer, see FlatParameters).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace deepobs::autograd {

// What a backward rule is given. Rules run under NoGrad, so they may use the ops themselves.
struct Grads {
  // The gradient of each output (undefined where none arrived; never all undefined).
  std::vector<Tensor> out;
  // What the op saved for the rule, in the order it saved them.
  std::vector<Tensor> saved;
  // Per input: whether it wants a gradient.
  std::vector<bool> wants;
  // Per input: the leaf's own gradient buffer when it has one (a parameter packed by
  // FlatParameters), else undefined. A rule may add the input's gradient into it itself (one
  // fused kernel, no temporary) and return an undefined tensor for that input instead.
  std::vector<Tensor> buffers;
  const Tensor& g() const { return out[0]; }
};
// Returns one gradient per input (undefined for an input that gets none).
using Rule = std::function<std::vector<Tensor>(const Grads&)>;

// True when gradient recording is on for this thread (it is, unless a NoGrad guard is alive).
bool grad_enabled();
// True when an op over these inputs must record a node: recording is on and an input requires
// gradients.
bool needs_grad(const std::vector<Tensor>& inputs);

// Records the op `op` (its name in messages) whose `outputs` were computed from `inputs`: the
// outputs require gradients from now on and own the node. `saved` is what `rule` reads; the rule
// must not capture tensors itself (that would keep them, and possibly the graph, alive).
void record(const char* op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            std::vector<Tensor> saved, Rule rule);

// Back-propagates from `root`. With no grad_output, root must have one element and is seeded with
// 1. Leaves that require gradients receive them (accumulated). Throws deepobs::Error if root does
// not require gradients, if its graph was already back-propagated, or if a rule returns a
// gradient whose shape differs from its input (the graph is released either way).
void backward(const Tensor& root, const Tensor& grad_output = Tensor());

// Nodes recorded and neither run by backward nor freed yet (for tests and leak checks), and their
// op names in recording order; clear_tape() releases them all.
std::size_t tape_size();
std::vector<std::string> tape_ops();
void clear_tape();

// Turns recording off for its lifetime (evaluation, optimizer updates, backward rules). Nests.
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

// Adds `g` into the leaf t's gradient: in place when t owns its gradient buffer, otherwise by
// replacing it with a fresh sum (the previous one may alias another tensor's gradient).
void accumulate_grad(const Tensor& t, const Tensor& g);

}  // namespace deepobs::autograd
