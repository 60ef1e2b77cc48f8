#include "core/autograd.h"

#include <utility>

#include "kernels/cpu/elementwise.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/context.h"
#include "kernels/cuda/elementwise.h"
#endif

namespace deepobs::autograd {
namespace {

struct Node {
  const char* op;
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  BackwardFn backward;
};

thread_local std::vector<Node> t_tape;
thread_local bool t_grad_enabled = true;

// out = a + b elementwise on the tensors' device (out may be a: gradients accumulate in place).
void add_into(const Tensor& out, const Tensor& a, const Tensor& b) {
  using kernels::cpu::BinaryOp;
  if (a.device().is_cuda()) {
#if DEEPOBS_WITH_CUDA
    DEEPOBS_CHECK(a.dtype() == DType::F32, "backward: CUDA gradients must be f32, got ", a.str());
    kernels::cuda::binary_same(kernels::cuda::context(a.device().index), BinaryOp::kAdd,
                               a.data<float>(), b.data<float>(), out.data<float>(), a.numel());
    return;
#else
    throw Error(
        cat("backward: gradient ", a.str(), " needs the CUDA backend, which this build lacks"));
#endif
  }
  if (a.dtype() == DType::F32)
    kernels::cpu::binary_same(BinaryOp::kAdd, a.data<float>(), b.data<float>(), out.data<float>(),
                              a.numel());
  else
    kernels::cpu::binary_same(BinaryOp::kAdd, a.data<double>(), b.data<double>(),
                              out.data<double>(), a.numel());
}

}  // namespace

bool grad_enabled() {
  return t_grad_enabled;
}

bool needs_grad(std::initializer_list<Tensor> inputs) {
  if (!t_grad_enabled) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!t_grad_enabled) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(const char* op, std::vector<Tensor> inputs, std::vector<Tensor> outputs,
            BackwardFn backward) {
  for (auto& o : outputs)
    o.impl().requires_grad = true;
  t_tape.push_back(Node{op, std::move(inputs), std::move(outputs), std::move(backward)});
}

void record(const char* op, std::vector<Tensor> inputs, const Tensor& output,
            std::function<std::vector<Tensor>(const Tensor&)> backward) {
  record(op, std::move(inputs), std::vector<Tensor>{output},
         [fn = std::move(backward)](const std::vector<Tensor>& g) { return fn(g[0]); });
}

void accumulate_grad(const Tensor& t, const Tensor& g) {
  auto& impl = t.impl();
  DEEPOBS_CHECK(g.shape() == t.shape() && g.dtype() == t.dtype() && g.device() == t.device(),
                "backward: gradient ", g.str(), " does not match its tensor ", t.str());
  if (!impl.grad) {
    impl.grad = g.impl_ptr();
    impl.grad_owned = false;
    return;
  }
  Tensor current(impl.grad);
  if (impl.grad_owned) {
    add_into(current, current, g);
  } else {
    Tensor sum = Tensor::empty(current.shape(), current.dtype(), current.device());
    add_into(sum, current, g);
    impl.grad = sum.impl_ptr();
    impl.grad_owned = true;  // the fresh sum belongs to this tensor alone
  }
}

void backward(const Tensor& root, const Tensor& grad_output) {
  DEEPOBS_CHECK(root.defined() && root.requires_grad(),
                "backward: the root tensor does not require gradients (nothing to differentiate)");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    DEEPOBS_CHECK(root.numel() == 1, "backward: root ", root.str(),
                  " is not a scalar; pass grad_output");
    seed = Tensor::ones(root.shape(), root.dtype(), root.device());
  }
  NoGrad no_grad;
  std::vector<Node> tape;
  tape.swap(t_tape);  // the tape is consumed even if a rule throws
  accumulate_grad(root, seed);
  for (auto it = tape.rbegin(); it != tape.rend(); ++it) {
    Node& node = *it;
    std::vector<Tensor> grads_out;
    grads_out.reserve(node.outputs.size());
    bool any = false;
    for (auto& o : node.outputs) {
      grads_out.push_back(o.grad());
      any = any || grads_out.back().defined();
    }
    if (!any) continue;
    if (node.outputs.size() == 1 && !grads_out[0].defined()) continue;
    std::vector<Tensor> grads_in = node.backward(grads_out);
    DEEPOBS_CHECK(grads_in.size() == node.inputs.size(), "backward: rule of ", node.op,
                  " returned ", grads_in.size(), " gradients for ", node.inputs.size(), " inputs");
    for (std::size_t k = 0; k < grads_in.size(); ++k) {
      const Tensor& in = node.inputs[k];
      if (!grads_in[k].defined() || !in.defined() || !in.requires_grad()) continue;
      DEEPOBS_CHECK(grads_in[k].shape() == in.shape(), "backward: rule of ", node.op,
                    " returned gradient ", grads_in[k].str(), " for input ", in.str());
      accumulate_grad(in, grads_in[k]);
    }
    // Gradients of intermediate results are not kept once their node has run (they are no
    // longer needed, and keeping them would double the memory of a backward pass).
    for (auto& o : node.outputs) {
      o.impl().grad.reset();
      o.impl().grad_owned = false;
    }
  }
}

void clear_tape() {
  t_tape.clear();
}

std::size_t tape_size() {
  return t_tape.size();
}

std::vector<std::string> tape_ops() {
  std::vector<std::string> ops;
  for (const auto& n : t_tape)
    ops.emplace_back(n.op);
  return ops;
}

NoGrad::NoGrad() : previous_(t_grad_enabled) {
  t_grad_enabled = false;
}
NoGrad::~NoGrad() {
  t_grad_enabled = previous_;
}

}  // namespace deepobs::autograd
