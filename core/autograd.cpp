#include "core/autograd.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cuda/elementwise.h"

namespace deepobs::autograd {

struct Edge {
  std::shared_ptr<Node> node;                // the node that made the input, or
  std::shared_ptr<detail::TensorImpl> leaf;  // the input itself when it is a leaf
  int slot = 0;                              // which output of `node`
  Shape shape;
  bool wanted() const { return node || leaf; }
};

struct Node {
  const char* op = "";
  std::uint64_t seq = 0;
  std::size_t outputs = 1;
  std::vector<Edge> inputs;
  std::vector<Tensor> saved;
  Rule rule;
  std::vector<Tensor> grads;  // output gradients gathered during backward
  profile::Cost cost;         // of the rule, for the profiler (zero unless profiling)
  void release();
  ~Node();
};

namespace {

thread_local bool t_grad_enabled = true;
std::atomic<std::uint64_t> g_seq{0};
// Recorded nodes that have not run yet, for tape_size/tape_ops/clear_tape.
std::mutex g_mutex;
std::map<std::uint64_t, std::pair<const char*, std::weak_ptr<Node>>> g_pending;

void forget(std::uint64_t seq) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_pending.erase(seq);
}

// out = a + b on their device (out may be a).
void add_into(const Tensor& out, const Tensor& a, const Tensor& b) {
  backend::launch("backward", a, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, binary_same, kernels::cpu::BinaryOp::kAdd, a.data<T>(), b.data<T>(),
                   out.data<T>(), a.numel());
  });
}

Tensor sum(const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  add_into(out, a, b);
  return out;
}

// Runs one node's rule and hands the input gradients on.
void run(Node& node) {
  Grads g;
  g.out = std::move(node.grads);
  if (std::none_of(g.out.begin(), g.out.end(), [](const Tensor& t) { return t.defined(); })) return;
  // The rule and the gradient accumulation it causes are one row of the profile.
  profile::OpScope scope(node.op, [&] { return profile::OpCost{node.cost, {}}; });
  DEEPOBS_CHECK(node.rule, "backward: the graph through ", node.op,
                " was already back-propagated (record a new one for every backward pass)");
  g.saved = node.saved;
  for (const Edge& e : node.inputs) {
    g.wants.push_back(e.wanted());
    g.buffers.push_back(e.leaf && e.leaf->grad_is_buffer ? Tensor(e.leaf->grad) : Tensor());
  }
  const std::vector<Tensor> in = node.rule(g);
  DEEPOBS_CHECK(in.size() == node.inputs.size(), "backward: rule of ", node.op, " returned ",
                in.size(), " gradients for ", node.inputs.size(), " inputs");
  for (std::size_t k = 0; k < in.size(); ++k) {
    const Edge& e = node.inputs[k];
    if (!e.wanted() || !in[k].defined()) continue;
    DEEPOBS_CHECK(in[k].shape() == e.shape, "backward: rule of ", node.op, " returned gradient ",
                  in[k].str(), " for an input of shape ", shape_str(e.shape));
    if (e.leaf) {
      accumulate_grad(Tensor(e.leaf), in[k]);
      continue;
    }
    auto& grads = e.node->grads;
    if (grads.size() < e.node->outputs) grads.resize(e.node->outputs);
    Tensor& slot = grads[static_cast<std::size_t>(e.slot)];
    slot = slot.defined() ? sum(slot, in[k]) : in[k];
  }
}

}  // namespace

void Node::release() {
  rule = nullptr;
  saved.clear();
  inputs.clear();
  grads.clear();
  forget(seq);
}

Node::~Node() {
  forget(seq);
}

bool grad_enabled() {
  return t_grad_enabled;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  return t_grad_enabled && std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) {
           return t.defined() && t.requires_grad();
         });
}

void record(const char* op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            std::vector<Tensor> saved, Rule rule) {
  auto node = std::make_shared<Node>();
  node->op = op;
  node->seq = g_seq.fetch_add(1);
  if (profile::active()) node->cost = profile::take_backward_cost();
  node->outputs = outputs.size();
  for (const Tensor& in : inputs) {
    Edge e;
    if (in.defined() && in.requires_grad()) {
      const auto& impl = in.impl();
      if (impl.grad_fn) {
        e.node = impl.grad_fn;
        e.slot = impl.output_index;
      } else {
        e.leaf = in.impl_ptr();
      }
      e.shape = in.shape();
    }
    node->inputs.push_back(std::move(e));
  }
  for (Tensor& s : saved)
    if (s.defined()) s = s.detach();  // data only: no edge back into the graph
  node->saved = std::move(saved);
  node->rule = std::move(rule);
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    auto& o = outputs[k].impl();
    o.requires_grad = true;
    o.grad_fn = node;
    o.output_index = static_cast<int>(k);
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  g_pending.emplace(node->seq, std::make_pair(op, std::weak_ptr<Node>(node)));
}

void accumulate_grad(const Tensor& t, const Tensor& g) {
  auto& impl = t.impl();
  DEEPOBS_CHECK(g.shape() == t.shape() && g.dtype() == t.dtype() && g.device() == t.device(),
                "backward: gradient ", g.str(), " does not match its tensor ", t.str());
  if (!impl.grad) {
    impl.grad = g.impl_ptr();
    impl.grad_owned = false;
  } else if (impl.grad_owned) {
    add_into(Tensor(impl.grad), Tensor(impl.grad), g);
  } else {
    impl.grad = sum(Tensor(impl.grad), g).impl_ptr();
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
  const auto& impl = root.impl();
  if (!impl.grad_fn) {
    accumulate_grad(root, seed);
    return;
  }
  // The nodes root reaches, latest first: every consumer of a tensor runs before its producer.
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<const Node*> seen;
  for (std::vector<Node*> stack{impl.grad_fn.get()}; !stack.empty();) {
    Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    for (const Edge& e : n->inputs)
      if (e.node) {
        order.push_back(e.node);
        stack.push_back(e.node.get());
      }
  }
  order.push_back(impl.grad_fn);
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a->seq > b->seq; });
  order.erase(std::unique(order.begin(), order.end()), order.end());
  Node& top = *impl.grad_fn;
  top.grads.resize(top.outputs);
  DEEPOBS_CHECK(seed.shape() == root.shape(), "backward: grad_output ", seed.str(),
                " does not match the root ", root.str());
  top.grads[static_cast<std::size_t>(impl.output_index)] = seed;
  try {
    for (const auto& n : order) {
      run(*n);
      n->release();
    }
  } catch (...) {
    for (const auto& n : order)
      n->release();
    throw;
  }
}

std::size_t tape_size() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_pending.size();
}

std::vector<std::string> tape_ops() {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::vector<std::string> ops;
  for (const auto& [seq, entry] : g_pending)
    ops.emplace_back(entry.first);
  return ops;
}

void clear_tape() {
  std::vector<std::shared_ptr<Node>> live;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    for (const auto& [seq, entry] : g_pending)
      if (auto n = entry.second.lock()) live.push_back(std::move(n));
  }
  for (const auto& n : live)
    n->release();
}

NoGrad::NoGrad() : previous_(t_grad_enabled) {
  t_grad_enabled = false;
}
NoGrad::~NoGrad() {
  t_grad_enabled = previous_;
}

}  // namespace deepobs::autograd
