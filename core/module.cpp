#include "core/module.h"

namespace deepobs {

std::string_view param_kind_name(ParamKind kind) {
  constexpr std::string_view names[] = {"weight",     "bias",      "conv_weight", "norm_scale",
                                        "norm_shift", "embedding", "recurrent"};
  return names[static_cast<int>(kind)];
}

void Module::check_new_name(const std::string& name) const {
  DEEPOBS_CHECK(!name.empty() && name.find('/') == std::string::npos, "Module: invalid name '",
                name, "' (must be non-empty and contain no '/')");
  auto taken = [&](const auto& list) {
    for (const auto& [n, _] : list)
      if (n == name) return true;
    return false;
  };
  DEEPOBS_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_), "Module: name '",
                name, "' is registered twice");
}

Tensor Module::register_parameter(const std::string& name, Tensor value, ParamTags tags) {
  check_new_name(name);
  check_floating("register_parameter", name.c_str(), value);
  value.set_requires_grad(true);
  parameters_.emplace_back(name, Parameter{value, tags});
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name);
  DEEPOBS_CHECK(value.defined(), "register_buffer: '", name, "' is an undefined tensor");
  buffers_.emplace_back(name, value);
  return value;
}

Tensor Module::register_state(const std::string& name, Tensor value) {
  register_buffer(name, value);
  states_.push_back(value);
  return value;
}

void Module::add_child(const std::string& name, std::unique_ptr<Module> child) {
  check_new_name(name);
  DEEPOBS_CHECK(child != nullptr, "register_module: '", name, "' is null");
  child->set_mode(mode_);
  children_.emplace_back(name, std::move(child));
}

void Module::collect(const std::string& prefix, std::vector<NamedParameter>& out) {
  for (auto& [name, p] : parameters_)
    out.push_back({prefix + name, &p});
  for (auto& [name, c] : children_)
    c->collect(prefix + name + "/", out);
}

void Module::collect(const std::string& prefix, std::vector<NamedBuffer>& out) {
  for (auto& [name, b] : buffers_)
    out.push_back({prefix + name, &b});
  for (auto& [name, c] : children_)
    c->collect(prefix + name + "/", out);
}

std::vector<NamedParameter> Module::named_parameters() {
  std::vector<NamedParameter> out;
  collect("", out);
  return out;
}

std::vector<NamedBuffer> Module::named_buffers() {
  std::vector<NamedBuffer> out;
  collect("", out);
  return out;
}

std::int64_t Module::parameter_count() {
  std::int64_t n = 0;
  for (const auto& p : named_parameters())
    n += p.param->tensor.numel();
  return n;
}

void Module::set_mode(ForwardMode mode) {
  mode_ = mode;
  for (auto& [_, c] : children_)
    c->set_mode(mode);
}

void Module::reset_state() {
  for (const Tensor& s : states_)
    s.fill(0.0);
  for (auto& [_, c] : children_)
    c->reset_state();
}

void Module::to(Device device) {
  const auto move = [&](const Tensor& t) {
    if (t.defined() && t.device() != device) t.set_data(t.to(device));
  };
  for (const auto& p : named_parameters())
    move(p.param->tensor);
  for (const auto& b : named_buffers())
    move(*b.buffer);
}

}  // namespace deepobs
