// Loading optimizer plugins from shared libraries: dlopen, the entry point, ABI negotiation and
// descriptor validation (optimizers/descriptor.h). The device-dependent fingerprint check happens
// when an Optimizer is created for a run's device.
#pragma once

#include <string>
#include <string_view>

#include "optimizers/optimizer.h"

namespace deepobs {

// Whether an --optimizer value names a shared library rather than a built-in: it contains a '/'
// or ends in ".so" (a bare "libfoo.so" in the working directory needs "./libfoo.so" to dlopen,
// which the loader adds).
bool looks_like_plugin_path(std::string_view name_or_path);

// Loads the plugin at `path` (once per canonical path: later calls return the cached info) and
// returns its validated info, whose origin is the canonical path. The library stays loaded for the
// rest of the program (infos and descriptors point into it). Throws deepobs::Error with one line
// naming the file for: no such file; not loadable (dlerror's reason: not a shared library, wrong
// architecture, missing dependency such as a CUDA runtime); not a plugin (no
// deepobs_optimizer_entry symbol); a refusal by the plugin (NULL descriptor, with its reason); a
// wrong ABI major; an invalid descriptor (missing required function, bad defaults, ...); a name
// that is a built-in optimizer's (results would mix in one folder).
const OptimizerInfo& load_plugin(const std::string& path);

}  // namespace deepobs
