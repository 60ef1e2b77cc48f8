#include "optimizers/plugin_loader.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "core/error.h"
#include "optimizers/builtin.h"
#include "optimizers/descriptor.h"

namespace deepobs {
namespace {

// One loaded library: the host table its entry point was given (which the header says stays
// valid until the library is unloaded), the reason it gave for refusing, and the validated info.
struct LoadedPlugin {
  deepobs_host services{};
  std::string refusal;
  OptimizerInfo info;
};

void record_refusal(void* host_data, deepobs_status, const char* message) {
  try {
    static_cast<LoadedPlugin*>(host_data)->refusal = message ? message : "";
  } catch (...) {
  }
}

// Messages from a plugin before any instance exists go to stderr.
void log_message(void*, std::int32_t level, const char* message) {
  if (level <= DEEPOBS_LOG_DEBUG) return;
  std::fprintf(stderr, "optimizer plugin: %s\n", message ? message : "");
}

// No instance exists during the entry call, so there is no device to allocate on.
deepobs_status refuse_allocate(void* host_data, std::size_t, void** out) {
  if (out) *out = nullptr;
  record_refusal(host_data, DEEPOBS_STATUS_INVALID_ARGUMENT,
                 "host->allocate called from deepobs_optimizer_entry (allocate in create)");
  return DEEPOBS_STATUS_INVALID_ARGUMENT;
}

void ignore_deallocate(void*, void*) {}

bool is_builtin_name(const std::string& name) {
  for (const OptimizerInfo* b : {&gradient_descent_info(), &momentum_info(), &adam_info()})
    if (b->name == name) return true;
  return false;
}

}  // namespace

bool looks_like_plugin_path(std::string_view s) {
  return s.find('/') != std::string_view::npos || s.ends_with(".so");
}

const OptimizerInfo& load_plugin(const std::string& path) {
  // Loaded libraries are never unloaded: descriptors, infos and the code of running instances
  // live in them, and dlclose of a library that started threads (OpenMP, CUDA) is unsafe.
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<LoadedPlugin>> cache;
  const std::lock_guard<std::mutex> lock(mutex);

  std::error_code ec;
  DEEPOBS_CHECK(std::filesystem::is_regular_file(path, ec), "plugin ", path,
                ": no such file (give the path of the plugin's .so, or a built-in optimizer name)");
  const std::string canonical = std::filesystem::canonical(path, ec).string();
  const std::string key = ec ? path : canonical;
  if (const auto it = cache.find(key); it != cache.end()) return it->second->info;

  dlerror();
  void* handle = dlopen(key.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw Error(
        cat("plugin ", path, ": cannot be loaded: ", why ? why : "unknown dlopen error",
            " (is it a shared library for this machine, with its dependencies installed?)"));
  }
  dlerror();
  void* symbol = dlsym(handle, DEEPOBS_OPTIMIZER_ENTRY_NAME);
  if (symbol == nullptr) {
    dlclose(handle);  // nothing of it is in use yet
    throw Error(cat("plugin ", path, ": not a deepobs optimizer plugin: it exports no '",
                    DEEPOBS_OPTIMIZER_ENTRY_NAME,
                    "' (declare it with DEEPOBS_OPTIMIZER_EXPORT and C linkage, as in "
                    "deepobs/optimizer_plugin.h)"));
  }
  deepobs_optimizer_entry_fn entry = nullptr;
  static_assert(sizeof(entry) == sizeof(symbol));
  std::memcpy(&entry, &symbol, sizeof(entry));  // POSIX guarantees this conversion

  auto loaded = std::make_unique<LoadedPlugin>();
  loaded->services.struct_size = sizeof(deepobs_host);
  loaded->services.abi_version = kHostAbiMax;
  loaded->services.host_data = loaded.get();
  loaded->services.report_error = &record_refusal;
  loaded->services.log = &log_message;
  loaded->services.allocate = &refuse_allocate;
  loaded->services.deallocate = &ignore_deallocate;
  const deepobs_optimizer_descriptor* descriptor =
      entry(kHostAbiMin, kHostAbiMax, &loaded->services);
  if (descriptor == nullptr) {
    throw Error(cat("plugin ", path, ": refused to load with this deepobs (optimizer ABI ",
                    abi_version_string(kHostAbiMin), " to ", abi_version_string(kHostAbiMax), "): ",
                    loaded->refusal.empty() ? std::string("it returned no descriptor and gave no "
                                                          "reason")
                                            : loaded->refusal));
  }
  loaded->info = info_from_descriptor(descriptor, key);
  DEEPOBS_CHECK(!is_builtin_name(loaded->info.name), "plugin ", loaded->info.id, " (", path,
                "): its name '", loaded->info.name,
                "' is a built-in optimizer's; results would mix with the built-in's in one "
                "folder: give the plugin its own name");
  const OptimizerInfo& info = loaded->info;
  cache.emplace(key, std::move(loaded));
  return info;
}

}  // namespace deepobs
