// deepobs/optimizer_plugin_sdk.hpp — C++ helpers for writing optimizer plugins.
//
// The ABI (deepobs/optimizer_plugin.h) is C: no C++ exception may leave a plugin function. This
// header gives C++ plugins one way to honour that:
//
//   deepobs_status my_step(deepobs_optimizer_instance* inst, const deepobs_step_context* ctx) {
//     auto* self = reinterpret_cast<MyOptimizer*>(inst);
//     DEEPOBS_PLUGIN_TRY {
//       if (ctx->dtype != DEEPOBS_DTYPE_F32)
//         throw deepobs::plugin::Failure(DEEPOBS_STATUS_UNSUPPORTED_DEVICE, "F32 only");
//       self->update(ctx);  // may throw anything
//       return DEEPOBS_STATUS_OK;
//     }
//     DEEPOBS_PLUGIN_CATCH(self->host);
//   }
//
// DEEPOBS_PLUGIN_CATCH(host) catches everything: a deepobs::plugin::Failure becomes its status and
// message, std::bad_alloc OUT_OF_MEMORY, any other exception INTERNAL with its what(); the message
// goes to host->report_error and the status is returned. guard(host, fn) is the same as a
// function. The header is C++17, header-only, and includes only the ABI and the standard library.
#pragma once

#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "optimizer_plugin.h"
#include "optimizer_plugin_build.h"

namespace deepobs::plugin {

// An error with a status code, thrown by plugin code and turned into that status at the boundary.
class Failure : public std::runtime_error {
 public:
  Failure(deepobs_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  deepobs_status status() const noexcept { return status_; }

 private:
  deepobs_status status_;
};

// Reports `message` with `status` through the host (if it offers report_error) and returns status.
inline deepobs_status report(const deepobs_host* host, deepobs_status status,
                             const char* message) noexcept {
  if (host != nullptr && host->report_error != nullptr)
    host->report_error(host->host_data, status, message);
  return status;
}

// Turns the exception being handled into a status (and reports it). Call only inside a catch block.
inline deepobs_status status_from_current_exception(const deepobs_host* host) noexcept {
  try {
    throw;
  } catch (const Failure& e) {
    return report(host, e.status(), e.what());
  } catch (const std::bad_alloc&) {
    return report(host, DEEPOBS_STATUS_OUT_OF_MEMORY, "out of host memory (std::bad_alloc)");
  } catch (const std::exception& e) {
    try {
      const std::string text = std::string("uncaught C++ exception: ") + e.what();
      return report(host, DEEPOBS_STATUS_INTERNAL, text.c_str());
    } catch (...) {
      return report(host, DEEPOBS_STATUS_INTERNAL, "uncaught C++ exception");
    }
  } catch (...) {
    return report(host, DEEPOBS_STATUS_INTERNAL, "uncaught exception of unknown type");
  }
}

// Calls fn() (which returns a deepobs_status) and turns any exception it throws into a status.
template <class Fn>
deepobs_status guard(const deepobs_host* host, Fn&& fn) noexcept {
  try {
    return std::forward<Fn>(fn)();
  } catch (...) {
    return status_from_current_exception(host);
  }
}

// For functions that must not fail (destroy): runs fn() and swallows any exception after
// logging it as a warning through the host (when one is given).
template <class Fn>
void guard_void(const deepobs_host* host, Fn&& fn) noexcept {
  try {
    std::forward<Fn>(fn)();
  } catch (...) {
    if (host != nullptr && host->log != nullptr)
      host->log(host->host_data, DEEPOBS_LOG_WARNING, "exception swallowed in a void function");
  }
}

// Casts the state slot `index` of a context to T* (the slot's memory on the context's device).
template <class T>
T* slot(const deepobs_step_context* ctx, uint32_t index) {
  if (index >= ctx->num_state_slots)
    throw Failure(DEEPOBS_STATUS_INTERNAL, "state slot index out of range");
  return static_cast<T*>(ctx->state[index]);
}

}  // namespace deepobs::plugin

// try-block opener and catch-all closer for a plugin function returning deepobs_status.
#define DEEPOBS_PLUGIN_TRY try
#define DEEPOBS_PLUGIN_CATCH(host)                                 \
  catch (...) {                                                    \
    return ::deepobs::plugin::status_from_current_exception(host); \
  }                                                                \
  static_assert(true, "DEEPOBS_PLUGIN_CATCH(host) is used with a semicolon")
