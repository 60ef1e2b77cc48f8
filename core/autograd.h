// Reverse-mode autograd on a linear tape.
//
// Each differentiable op that sees an input with requires_grad() records one node — its inputs,
// its outputs and a backward closure — on a thread-local tape in creation order. backward(loss)
// walks the tape once in reverse, so every step runs the same kernel sequence (deterministic and
// CUDA-graph friendly). Gradients accumulate into TensorImpl::grad; parameters get theirs in the
// flat gradient buffer (see FlatParameters). The tape is cleared by backward() and clear_tape().
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace deepobs::autograd {

// Given the gradients of the outputs (an undefined Tensor where an output got none), returns one
// gradient per input (an undefined Tensor for an input that needs none). Runs under NoGrad.
using BackwardFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& grad_outputs)>;

// True when gradient recording is on for this thread (it is, unless a NoGrad guard is alive).
bool grad_enabled();

// True when an op over these inputs must record a node: recording is on and an input requires
// gradients.
bool needs_grad(std::initializer_list<Tensor> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// Records a node and marks every output as requiring gradients. `op` names the op in messages.
void record(const char* op, std::vector<Tensor> inputs, std::vector<Tensor> outputs,
            BackwardFn backward);
// Single-output convenience form: `backward` receives the output's gradient (always defined).
void record(const char* op, std::vector<Tensor> inputs, const Tensor& output,
            std::function<std::vector<Tensor>(const Tensor& grad_output)> backward);

// Back-propagates from `root`. With no grad_output, root must have one element and is seeded with
// 1. Leaves that require gradients receive them (accumulated); the tape is cleared afterwards.
// Throws deepobs::Error if root does not require gradients or a backward rule returns a gradient
// whose shape, dtype or device differs from its input.
void backward(const Tensor& root, const Tensor& grad_output = Tensor());

// Drops every recorded node (e.g. after a forward pass whose gradient is not wanted).
void clear_tape();
// Number of recorded nodes, and the op names in recording order (for tests and profiling).
std::size_t tape_size();
std::vector<std::string> tape_ops();

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

// Adds `g` into t's gradient: in place when t owns its gradient buffer, otherwise by replacing it
// with a fresh sum (the previous one may alias another tensor's gradient).
void accumulate_grad(const Tensor& t, const Tensor& g);

}  // namespace deepobs::autograd
