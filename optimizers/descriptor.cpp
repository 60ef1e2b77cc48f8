#include "optimizers/descriptor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "core/error.h"

#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/device_query.h"
#endif

namespace deepobs {
namespace {

// Sizes of the structs at ABI 1.0: the least a writer may give. When a minor appends fields, these
// stay at the 1.0 sizes (replace sizeof by the offset of the first appended field).
constexpr std::uint32_t kDescriptorMin = sizeof(deepobs_optimizer_descriptor);
constexpr std::uint32_t kFingerprintMin = sizeof(deepobs_build_fingerprint);
constexpr std::uint32_t kHparamSpecMin = sizeof(deepobs_hparam_spec);
constexpr std::uint32_t kSlotSpecMin = sizeof(deepobs_state_slot_spec);

// Copies a struct written by the plugin with its own struct_size: fields it did not write stay
// zero, fields the host does not know are not read.
template <class T>
T read_struct(const void* p) {
  T out{};
  std::uint32_t size = 0;
  std::memcpy(&size, p, sizeof(size));
  std::memcpy(static_cast<void*>(&out), p, std::min<std::size_t>(size, sizeof(T)));
  return out;
}

std::uint32_t struct_size_at(const void* p) {
  std::uint32_t size = 0;
  std::memcpy(&size, p, sizeof(size));
  return size;
}

bool matches(const char* s, bool (*first)(char), bool (*rest)(char), std::size_t max_len) {
  if (s == nullptr || *s == '\0') return false;
  const std::size_t n = std::strlen(s);
  if (n > max_len || !first(s[0])) return false;
  for (std::size_t i = 1; i < n; ++i)
    if (!rest(s[i])) return false;
  return true;
}

bool lower_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool lower_alpha(char c) {
  return c >= 'a' && c <= 'z';
}
bool alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool alnum_underscore(char c) {
  return alpha(c) || (c >= '0' && c <= '9') || c == '_';
}
bool lower_digit_underscore(char c) {
  return lower_or_digit(c) || c == '_';
}
bool id_char(char c) {
  return lower_or_digit(c) || c == '.' || c == '_' || c == '-';
}
bool choice_char(char c) {
  return alnum_underscore(c) || c == '.' || c == '-';
}

std::string text_or_empty(const char* s) {
  return s ? std::string(s) : std::string();
}

std::string shown(const char* s) {
  return s ? cat("'", s, "'") : std::string("NULL");
}

// The i-th element of an array the plugin wrote, with the first element's struct_size as stride.
const void* element(const void* base, std::uint32_t stride, std::uint32_t i) {
  return static_cast<const char*>(base) + static_cast<std::size_t>(stride) * i;
}

std::string format_double(double x) {
  return cat(x);
}

HyperparameterSpec read_hparam(const deepobs_hparam_spec& c, const std::string& where,
                               std::set<std::string>& names) {
  const std::string label = c.name ? cat("hyperparameter '", c.name, "'") : "a hyperparameter";
  DEEPOBS_CHECK(matches(c.name, lower_alpha, lower_digit_underscore, 64), where,
                ": hyperparameter name ", shown(c.name),
                " must match [a-z][a-z0-9_]* (at most 64 characters)");
  const std::string name = c.name;
  DEEPOBS_CHECK(name != "lr" && name != "learning_rate", where, ": ", label,
                " is not allowed: the host schedules the learning rate and passes it to every "
                "step (ctx->learning_rate)");
  DEEPOBS_CHECK(names.insert(name).second, where, ": ", label, " is declared twice");
  HyperparameterSpec s;
  s.name = name;
  s.doc = text_or_empty(c.doc);
  s.log_scale = (c.flags & DEEPOBS_HP_LOG_SCALE) != 0;
  const bool has_default = (c.flags & DEEPOBS_HP_HAS_DEFAULT) != 0;
  switch (c.type) {
    case DEEPOBS_HP_F64:
    case DEEPOBS_HP_I64: {
      s.type = c.type == DEEPOBS_HP_F64 ? HyperparameterType::F64 : HyperparameterType::I64;
      DEEPOBS_CHECK(!std::isnan(c.min) && !std::isnan(c.max) && c.min <= c.max, where, ": ", label,
                    " has an empty or NaN range [", format_double(c.min), ", ",
                    format_double(c.max), "]");
      s.min = c.min;
      s.max = c.max;
      s.min_exclusive = (c.flags & DEEPOBS_HP_MIN_EXCLUSIVE) != 0;
      s.max_exclusive = (c.flags & DEEPOBS_HP_MAX_EXCLUSIVE) != 0;
      DEEPOBS_CHECK(!s.log_scale || c.min >= 0, where, ": ", label,
                    " is on a log scale but its range allows values below 0 (min ",
                    format_double(c.min), ")");
      if (has_default) {
        if (s.type == HyperparameterType::F64) {
          const double d = c.default_value.f64;
          DEEPOBS_CHECK(
              std::isfinite(d) && in_range(s, d), where, ": bad default for ", label, ": ",
              format_double(d), " is ",
              std::isfinite(d) ? "outside " + range_string(s) : std::string("not finite"));
          s.default_value = d;
        } else {
          const std::int64_t d = c.default_value.i64;
          DEEPOBS_CHECK(in_range(s, static_cast<double>(d)), where, ": bad default for ", label,
                        ": ", d, " is outside ", range_string(s));
          s.default_value = d;
        }
      }
      break;
    }
    case DEEPOBS_HP_BOOL:
      s.type = HyperparameterType::Bool;
      if (has_default) {
        DEEPOBS_CHECK(c.default_value.i64 == 0 || c.default_value.i64 == 1, where,
                      ": bad default for ", label, ": a bool default is i64 0 or 1, got ",
                      c.default_value.i64);
        s.default_value = c.default_value.i64 == 1;
      }
      break;
    case DEEPOBS_HP_ENUM: {
      s.type = HyperparameterType::Enum;
      DEEPOBS_CHECK(c.num_choices > 0 && c.choices != nullptr, where, ": enum ", label,
                    " has no choices");
      std::set<std::string> seen;
      for (std::uint32_t i = 0; i < c.num_choices; ++i) {
        DEEPOBS_CHECK(matches(c.choices[i], choice_char, choice_char, 64), where, ": enum ", label,
                      ": choice ", i, " ", shown(c.choices[i]),
                      " must match [A-Za-z0-9_.-]+ (at most 64 characters)");
        DEEPOBS_CHECK(seen.insert(c.choices[i]).second, where, ": enum ", label, ": choice '",
                      c.choices[i], "' appears twice");
        s.choices.emplace_back(c.choices[i]);
      }
      if (has_default) {
        const std::int64_t d = c.default_value.i64;
        DEEPOBS_CHECK(d >= 0 && d < static_cast<std::int64_t>(c.num_choices), where,
                      ": bad default for ", label, ": choice index ", d, " is not in [0, ",
                      c.num_choices, ")");
        s.default_value = s.choices[static_cast<std::size_t>(d)];
      }
      break;
    }
    default:
      throw Error(cat(where, ": ", label, " has unknown type ", c.type,
                      " (expected DEEPOBS_HP_F64, _I64, _BOOL or _ENUM)"));
  }
  return s;
}

std::optional<DType> slot_dtype(std::int32_t code) {
  switch (code) {
    case DEEPOBS_DTYPE_F32:
      return DType::F32;
    case DEEPOBS_DTYPE_F64:
      return DType::F64;
    case DEEPOBS_DTYPE_I32:
      return DType::I32;
    case DEEPOBS_DTYPE_I64:
      return DType::I64;
    case DEEPOBS_DTYPE_U8:
      return DType::U8;
    default:
      return std::nullopt;
  }
}

StateSlotSpec read_slot(const deepobs_state_slot_spec& c, const std::string& where,
                        std::set<std::string>& names) {
  DEEPOBS_CHECK(matches(c.name, lower_alpha, lower_digit_underscore, 64), where,
                ": state slot name ", shown(c.name),
                " must match [a-z][a-z0-9_]* (at most 64 characters)");
  const std::string label = cat("state slot '", c.name, "'");
  DEEPOBS_CHECK(names.insert(c.name).second, where, ": ", label, " is declared twice");
  StateSlotSpec s;
  s.name = c.name;
  s.doc = text_or_empty(c.doc);
  const auto dtype = slot_dtype(c.dtype);
  switch (c.kind) {
    case DEEPOBS_SLOT_LIKE_PARAMS:
      s.kind = StateSlotKind::LikeParams;
      DEEPOBS_CHECK(c.dtype == DEEPOBS_DTYPE_PARAMS || (dtype && *dtype != DType::U8), where, ": ",
                    label, ": a like-params slot takes DEEPOBS_DTYPE_PARAMS, F32, F64, I32 or I64");
      if (c.dtype != DEEPOBS_DTYPE_PARAMS) s.dtype = dtype;
      break;
    case DEEPOBS_SLOT_SCALAR:
      s.kind = StateSlotKind::Scalar;
      DEEPOBS_CHECK(dtype && *dtype != DType::U8, where, ": ", label,
                    ": a scalar slot takes F32, F64, I32 or I64, got dtype code ", c.dtype);
      s.dtype = dtype;
      break;
    case DEEPOBS_SLOT_BYTES:
      s.kind = StateSlotKind::Bytes;
      DEEPOBS_CHECK(c.dtype == DEEPOBS_DTYPE_U8 && c.bytes > 0, where, ": ", label,
                    ": a bytes slot needs dtype DEEPOBS_DTYPE_U8 and bytes > 0, got dtype code ",
                    c.dtype, " and ", c.bytes, " bytes");
      s.dtype = DType::U8;
      s.bytes = c.bytes;
      break;
    default:
      throw Error(cat(where, ": ", label, " has unknown kind ", c.kind,
                      " (expected DEEPOBS_SLOT_LIKE_PARAMS, _SCALAR or _BYTES)"));
  }
  return s;
}

std::string arch_list(std::uint32_t n, const std::uint32_t* archs) {
  std::string out;
  for (std::uint32_t i = 0; i < n; ++i)
    out += cat(i ? ", " : "", "sm_", archs[i]);
  return out.empty() ? "none" : out;
}

std::string cuda_version_string(int v) {
  return cat(v / 1000, ".", (v % 1000) / 10);
}

}  // namespace

std::string abi_version_string(std::uint32_t version) {
  return cat(DEEPOBS_ABI_MAJOR_OF(version), ".", DEEPOBS_ABI_MINOR_OF(version));
}

void check_abi_version(std::uint32_t plugin_version, const std::string& where) {
  DEEPOBS_CHECK(DEEPOBS_ABI_MAJOR_OF(plugin_version) == DEEPOBS_ABI_MAJOR_OF(kHostAbiMax), where,
                ": built against optimizer ABI ", abi_version_string(plugin_version),
                ", but this deepobs speaks ", abi_version_string(kHostAbiMin), " to ",
                abi_version_string(kHostAbiMax),
                ": rebuild the plugin against this deepobs's deepobs/optimizer_plugin.h");
}

OptimizerInfo info_from_descriptor(const deepobs_optimizer_descriptor* descriptor,
                                   const std::string& origin) {
  const bool builtin = origin == "built-in";
  std::string where = builtin ? "built-in optimizer" : cat("plugin ", origin);
  DEEPOBS_CHECK(descriptor != nullptr, where, ": no descriptor");
  // The first two fields are frozen in every major: read them before trusting the rest.
  DEEPOBS_CHECK(struct_size_at(descriptor) >= 2 * sizeof(std::uint32_t), where,
                ": the descriptor's struct_size (", struct_size_at(descriptor),
                ") is too small to be a deepobs optimizer descriptor");
  check_abi_version(descriptor->abi_version, where);
  DEEPOBS_CHECK(struct_size_at(descriptor) >= kDescriptorMin, where, ": descriptor struct_size ",
                struct_size_at(descriptor), " is smaller than ABI 1.0's ", kDescriptorMin,
                " bytes (a corrupt descriptor?)");
  const auto d = read_struct<deepobs_optimizer_descriptor>(descriptor);
  if (d.id && matches(d.id, lower_or_digit, id_char, 128)) {
    where = builtin ? cat("built-in optimizer ", d.id) : cat("plugin ", d.id, " (", origin, ")");
  }
  DEEPOBS_CHECK(matches(d.id, lower_or_digit, id_char, 128), where, ": id ", shown(d.id),
                " must be reverse-DNS style, [a-z0-9][a-z0-9._-]* (at most 128 characters)");
  DEEPOBS_CHECK(matches(d.name, alpha, alnum_underscore, 64), where, ": name ", shown(d.name),
                " must match [A-Za-z][A-Za-z0-9_]* (at most 64 characters): it names the result "
                "folder");
  DEEPOBS_CHECK(d.version && *d.version, where, ": the descriptor gives no version string");

  OptimizerInfo info;
  info.id = d.id;
  info.name = d.name;
  info.version = d.version;
  info.description = text_or_empty(d.description);
  info.author = text_or_empty(d.author);
  info.license = text_or_empty(d.license);
  info.capabilities = d.capabilities;
  info.abi_version = d.abi_version;
  info.origin = origin;
  info.descriptor = descriptor;

  DEEPOBS_CHECK(d.create != nullptr, where, ": missing required function 'create'");
  DEEPOBS_CHECK(d.destroy != nullptr, where, ": missing required function 'destroy'");
  DEEPOBS_CHECK(d.step != nullptr, where, ": missing required function 'step'");
  DEEPOBS_CHECK(info.has_capability(DEEPOBS_CAP_CPU) || info.has_capability(DEEPOBS_CAP_CUDA),
                where,
                ": capabilities name no device (set DEEPOBS_CAP_CPU and/or DEEPOBS_CAP_CUDA)");
  DEEPOBS_CHECK(info.has_capability(DEEPOBS_CAP_EVAL_PARAMS) == (d.eval_params != nullptr), where,
                ": DEEPOBS_CAP_EVAL_PARAMS is ",
                info.has_capability(DEEPOBS_CAP_EVAL_PARAMS) ? "set" : "not set",
                " but eval_params is ", d.eval_params ? "given" : "NULL",
                " (the flag and the function go together)");

  DEEPOBS_CHECK(d.fingerprint != nullptr, where, ": the descriptor has no build fingerprint");
  DEEPOBS_CHECK(struct_size_at(d.fingerprint) >= kFingerprintMin, where,
                ": fingerprint struct_size ", struct_size_at(d.fingerprint),
                " is smaller than ABI 1.0's ", kFingerprintMin, " bytes");
  const auto fp = read_struct<deepobs_build_fingerprint>(d.fingerprint);
  DEEPOBS_CHECK((fp.num_gpu_archs == 0 || fp.gpu_archs) && (fp.num_ptx_archs == 0 || fp.ptx_archs),
                where, ": the fingerprint counts GPU architectures but gives no array");
  DEEPOBS_CHECK(fp.cuda_runtime_version >= 0, where, ": negative CUDA runtime version ",
                fp.cuda_runtime_version, " in the fingerprint");
  if (info.has_capability(DEEPOBS_CAP_CUDA)) {
    DEEPOBS_CHECK(fp.cuda_runtime_version > 0 && fp.num_gpu_archs + fp.num_ptx_archs > 0, where,
                  ": claims DEEPOBS_CAP_CUDA but its fingerprint names no CUDA runtime or GPU "
                  "architecture (a CPU-only build?)");
  }

  DEEPOBS_CHECK(d.num_hyperparameters == 0 || d.hyperparameters != nullptr, where, ": ",
                d.num_hyperparameters, " hyperparameters declared but the array is NULL");
  std::set<std::string> names;
  if (d.num_hyperparameters > 0) {
    const std::uint32_t stride = struct_size_at(d.hyperparameters);
    DEEPOBS_CHECK(stride >= kHparamSpecMin, where, ": hyperparameter spec struct_size ", stride,
                  " is smaller than ABI 1.0's ", kHparamSpecMin, " bytes");
    for (std::uint32_t i = 0; i < d.num_hyperparameters; ++i) {
      const void* p = element(d.hyperparameters, stride, i);
      DEEPOBS_CHECK(struct_size_at(p) == stride, where, ": hyperparameter spec ", i,
                    " has struct_size ", struct_size_at(p), ", the first has ", stride);
      info.hyperparameters.push_back(
          read_hparam(read_struct<deepobs_hparam_spec>(p), where, names));
    }
  }
  DEEPOBS_CHECK(d.num_state_slots == 0 || d.state_slots != nullptr, where, ": ", d.num_state_slots,
                " state slots declared but the array is NULL");
  names.clear();
  if (d.num_state_slots > 0) {
    const std::uint32_t stride = struct_size_at(d.state_slots);
    DEEPOBS_CHECK(stride >= kSlotSpecMin, where, ": state slot spec struct_size ", stride,
                  " is smaller than ABI 1.0's ", kSlotSpecMin, " bytes");
    for (std::uint32_t i = 0; i < d.num_state_slots; ++i) {
      const void* p = element(d.state_slots, stride, i);
      DEEPOBS_CHECK(struct_size_at(p) == stride, where, ": state slot spec ", i,
                    " has struct_size ", struct_size_at(p), ", the first has ", stride);
      info.state_slots.push_back(read_slot(read_struct<deepobs_state_slot_spec>(p), where, names));
    }
  }
  DEEPOBS_CHECK(d.num_aliases == 0 || d.aliases != nullptr, where, ": ", d.num_aliases,
                " aliases declared but the array is NULL");
  for (std::uint32_t i = 0; i < d.num_aliases; ++i) {
    DEEPOBS_CHECK(matches(d.aliases[i], choice_char, choice_char, 64), where, ": alias ", i, " ",
                  shown(d.aliases[i]), " must match [A-Za-z0-9_.-]+");
    info.aliases.emplace_back(d.aliases[i]);
  }
  return info;
}

DeviceFacts device_facts(Device device) {
  DeviceFacts f;
  f.device = device;
#if DEEPOBS_WITH_CUDA
  f.host_cuda_runtime = kernels::cuda::runtime_version();
  f.cuda_driver = kernels::cuda::driver_version();
  if (device.is_cuda()) {
    kernels::cuda::DeviceProperties p;
    std::string error;
    DEEPOBS_CHECK(kernels::cuda::device_properties(device.index, &p, &error),
                  "cannot query CUDA device ", device.index, ": ", error);
    f.compute_capability = 10 * p.compute_major + p.compute_minor;
    f.device_name = p.name;
  }
#endif
  return f;
}

std::optional<std::string> fingerprint_refusal(const OptimizerInfo& info, const DeviceFacts& f) {
  if (f.device.is_cpu()) {
    if (!info.has_capability(DEEPOBS_CAP_CPU))
      return std::string("it runs on CUDA devices only (no DEEPOBS_CAP_CPU); use --device cuda");
    return std::nullopt;
  }
  if (!info.has_capability(DEEPOBS_CAP_CUDA))
    return std::string("it runs on the CPU only (no DEEPOBS_CAP_CUDA); use --device cpu");
  const auto fp = read_struct<deepobs_build_fingerprint>(info.descriptor->fingerprint);
  const int plugin_cuda = fp.cuda_runtime_version;
  if (f.host_cuda_runtime / 1000 != plugin_cuda / 1000) {
    return cat("built for CUDA ", cuda_version_string(plugin_cuda), " but this deepobs uses CUDA ",
               cuda_version_string(f.host_cuda_runtime),
               ": rebuild the plugin with the same CUDA major version");
  }
  if (f.cuda_driver > 0 && plugin_cuda > f.cuda_driver) {
    return cat("built for CUDA ", cuda_version_string(plugin_cuda),
               " but the installed driver supports CUDA ", cuda_version_string(f.cuda_driver),
               " only: update the driver or rebuild the plugin with an older CUDA");
  }
  const int cc = f.compute_capability;
  bool runs = false;
  for (std::uint32_t i = 0; i < fp.num_gpu_archs; ++i) {
    const int a = static_cast<int>(fp.gpu_archs[i]);
    if (a / 10 == cc / 10 && a % 10 <= cc % 10) runs = true;  // SASS: same major, minor <= device
  }
  for (std::uint32_t i = 0; i < fp.num_ptx_archs; ++i)
    if (static_cast<int>(fp.ptx_archs[i]) <= cc) runs = true;  // PTX is JIT-compiled forward
  if (!runs) {
    return cat("no GPU code for the device ", f.device_name.empty() ? "" : f.device_name + " ",
               "(sm_", cc, "): it has binaries for ", arch_list(fp.num_gpu_archs, fp.gpu_archs),
               " and PTX for ", arch_list(fp.num_ptx_archs, fp.ptx_archs),
               "; rebuild with CMAKE_CUDA_ARCHITECTURES including ", cc);
  }
  return std::nullopt;
}

void check_fingerprint(const OptimizerInfo& info, const DeviceFacts& facts) {
  const auto refusal = fingerprint_refusal(info, facts);
  DEEPOBS_CHECK(!refusal, "optimizer ", info.id, " (", info.origin, ") cannot run on ",
                facts.device.str(), ": ", refusal.value_or(""));
}

}  // namespace deepobs
