/* deepobs/optimizer_plugin.h — the optimizer plugin C ABI of deepobs-cpp.
 *
 * An optimizer is a shared library (.so) built against this one header. It exports exactly one
 * symbol, deepobs_optimizer_entry; `deepobs run --optimizer path/to/libfoo.so` loads it with
 * dlopen, negotiates the ABI version, checks the build fingerprint against the device, validates
 * the descriptor and then drives the optimizer through the function table in the descriptor. The
 * built-in optimizers of deepobs (GradientDescentOptimizer, MomentumOptimizer, AdamOptimizer) are
 * compiled into the executable against this same header: the host has one code path.
 *
 * The header is C99 and self-contained (it includes only <stddef.h> and <stdint.h>); it declares
 * no function the plugin must link against: everything the host offers arrives as function
 * pointers (deepobs_host, the step context's callbacks).
 *
 * ------------------------------------------------------------------------------------------------
 * VERSIONING
 *   DEEPOBS_OPTIMIZER_ABI_MAJOR changes on any incompatible change; the host refuses a plugin of
 *   another major. DEEPOBS_OPTIMIZER_ABI_MINOR changes when fields are appended at the END of a
 *   struct, new status codes / flags / enum values are added, or new functions appear at the end
 *   of a table. Every struct that may grow starts with `uint32_t struct_size` = sizeof the struct
 *   as the writer compiled it. A reader must not read a field that does not lie entirely inside
 *   struct_size (DEEPOBS_HAS_FIELD below): an old plugin's shorter descriptor loads in a new host,
 *   and a new plugin given an old host's shorter context sees the missing fields as absent.
 *   Fields are never removed or reordered within a major.
 *   Frozen forever (all majors): the entry point's signature, and the first two fields of
 *   deepobs_optimizer_descriptor (struct_size, abi_version), so that any host can read far
 *   enough into any plugin's descriptor to refuse it with a clear message.
 *   deepobs_hparam_value is frozen within a major (it is an array element passed by the host and
 *   has no struct_size); every other array the host passes is an array of POINTERS to
 *   struct_size-first structs, and every array the plugin passes is read by the host with the
 *   first element's struct_size as the stride, so plugin authors write plain C arrays.
 *
 * NEGOTIATION
 *   The host calls deepobs_optimizer_entry(host_abi_min, host_abi_max, host). The plugin returns
 *   its static descriptor if the ABI version it was compiled against
 *   (DEEPOBS_OPTIMIZER_ABI_VERSION) has the same major as the host's range and is otherwise
 *   acceptable to it; else it calls host->report_error(...) with the reason and returns NULL.
 *   The host then checks, in this order, and refuses with a one-line message naming the file:
 *   NULL descriptor (the plugin's reason); abi major != host major ("built against ABI 2.x, this
 *   deepobs speaks 1.0..1.N: rebuild"); a minor newer than the host's is ACCEPTED (appended
 *   fields the host does not know are ignored; the plugin learns the host's minor from
 *   host->abi_version and must check struct_size before reading a host struct's newer fields);
 *   the descriptor's contents (ids, names, required functions, hyperparameter defaults and
 *   ranges, state slots, capability flags consistent with the functions given); and, when an
 *   optimizer is created for a run, the build fingerprint against the run's device.
 *
 * OWNERSHIP
 *   - Everything the plugin returns from deepobs_optimizer_entry (descriptor, fingerprint, specs,
 *     strings) is static: it must stay valid and unchanged until the library is unloaded.
 *   - Everything the host passes (host table, problem, tensor infos, hyperparameter values, step
 *     context, buffers) is owned by the host. The host table and the problem (with everything it
 *     points to) stay valid from create until destroy returns; a step context and its pointers
 *     only during the call it is passed to.
 *   - No allocation crosses the boundary: the plugin never frees host memory, the host never frees
 *     plugin memory. Error messages are copied by the host (report_error) during the call.
 *   - No C++ exception, longjmp or signal may cross the boundary; a C++ plugin catches everything
 *     in each function and returns DEEPOBS_STATUS_INTERNAL (the SDK provides a macro for that).
 *   - The optimizer state lives in STATE SLOTS declared by the descriptor and allocated, zeroed,
 *     counted, checkpointed and restored by the host, on the run's device. Everything that must
 *     survive a checkpoint (moments, counters, random-number state) belongs in a slot; the instance
 *     may cache only what it derives from the problem and the hyperparameters at create time.
 *     Scratch memory that need not be checkpointed comes from host->allocate (counted by the host)
 *     or from the plugin's own allocator.
 *
 * THREADING
 *   - deepobs_optimizer_entry, create and destroy are called on the host's control thread.
 *   - One instance is never called concurrently with itself; the host may call different instances
 *     (of the same library) from different threads, so a plugin keeps no mutable global state.
 *   - A plugin may use its own threads (OpenMP etc.) inside a call, but all of its work for that
 *     call has finished (CPU) or is enqueued on ctx->stream (CUDA) when the call returns. It never
 *     calls a host function from any thread but the calling one.
 *
 * STREAMS (CUDA)
 *   - All GPU work goes on ctx->stream (a cudaStream_t passed as void*): never the legacy default
 *     stream, never a stream of the plugin's own unless joined back to ctx->stream with events
 *     before returning. The host orders everything else on the same stream, so no synchronisation
 *     is needed and none is allowed: no cudaDeviceSynchronize / cudaStreamSynchronize /
 *     synchronous cudaMemcpy inside init_state/step/eval_params (they would serialise the run and
 *     break CUDA-graph capture).
 *   - A plugin declaring DEEPOBS_CAP_CUDA_GRAPH_SAFE additionally performs the same kernel launches
 *     with the same arguments in every step (per-step scalars are read from device memory, e.g. a
 *     state slot) and allocates nothing during step, so the host may capture one step into a CUDA
 *     graph and replay it.
 *   - Pointers in a context are device pointers when ctx->device.type == DEEPOBS_DEVICE_CUDA, host
 *     pointers for DEEPOBS_DEVICE_CPU.
 * ---------------------------------------------------------------------------------------------- */
#ifndef DEEPOBS_OPTIMIZER_PLUGIN_H
#define DEEPOBS_OPTIMIZER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions -------------------------------------------------------------------------------- */

#define DEEPOBS_OPTIMIZER_ABI_MAJOR 1
#define DEEPOBS_OPTIMIZER_ABI_MINOR 1
/* History of minors (each only appends):
 *   1.0  first version.
 *   1.1  deepobs_step_context.learning_rate_device (the learning rate in device memory, for
 *        CUDA-graph-safe kernels); DEEPOBS_CAP_NEEDS_LOSS_VALUE (ctx->loss on CUDA devices). */
/* An ABI version packed into 32 bits: major in the high 16, minor in the low 16. */
#define DEEPOBS_ABI_VERSION(major, minor) \
  ((((uint32_t)(major)) << 16) | ((uint32_t)(minor)&0xffffu))
#define DEEPOBS_ABI_MAJOR_OF(version) ((uint32_t)(version) >> 16)
#define DEEPOBS_ABI_MINOR_OF(version) ((uint32_t)(version)&0xffffu)
/* The version this header describes; plugins put it into descriptor.abi_version. */
#define DEEPOBS_OPTIMIZER_ABI_VERSION \
  DEEPOBS_ABI_VERSION(DEEPOBS_OPTIMIZER_ABI_MAJOR, DEEPOBS_OPTIMIZER_ABI_MINOR)

/* Whether the struct pointed to by `ptr` (whose first member is struct_size) contains `field`
 * entirely, i.e. whether its writer knew the field. Use it before reading any field added after
 * minor 0 of a struct written by the other side. */
#define DEEPOBS_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* The one exported symbol. */
#define DEEPOBS_OPTIMIZER_ENTRY_NAME "deepobs_optimizer_entry"

#if defined(_WIN32)
#define DEEPOBS_OPTIMIZER_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define DEEPOBS_OPTIMIZER_EXPORT __attribute__((visibility("default")))
#else
#define DEEPOBS_OPTIMIZER_EXPORT
#endif

/* ---- Status codes ------------------------------------------------------------------------------
 * Every plugin function that can fail returns one of these (int32_t, so the size is fixed). On a
 * failure it should first call host->report_error(host->host_data, status, "message") with one line
 * saying what went wrong and, where it can, how to fix it. The host stops the run on any status but
 * OK and reports "optimizer <id>: <message>". New codes may appear in later minors; a host treats
 * an unknown code as INTERNAL. */
typedef int32_t deepobs_status;
#define DEEPOBS_STATUS_OK 0
#define DEEPOBS_STATUS_INVALID_ARGUMENT 1   /* bad hyperparameter combination, bad problem, ... */
#define DEEPOBS_STATUS_UNSUPPORTED_DEVICE 2 /* device type/architecture or dtype not supported */
#define DEEPOBS_STATUS_OUT_OF_MEMORY 3
#define DEEPOBS_STATUS_CUDA_ERROR 4        /* a CUDA call failed; the message names it */
#define DEEPOBS_STATUS_NUMERICAL_FAILURE 5 /* e.g. a factorisation failed, an unusable NaN */
#define DEEPOBS_STATUS_STOP_REQUESTED 6    /* the optimizer ends the run on purpose */
#define DEEPOBS_STATUS_INTERNAL 7          /* a bug, or an exception caught at the boundary */

/* ---- Small enums (all int32_t in structs) --------------------------------------------------- */

/* Element types. Parameters and gradients are F32 or F64 (the problem's dtype). */
#define DEEPOBS_DTYPE_PARAMS 0 /* state slots only: "the parameters' dtype" */
#define DEEPOBS_DTYPE_F32 1
#define DEEPOBS_DTYPE_F64 2
#define DEEPOBS_DTYPE_I32 3
#define DEEPOBS_DTYPE_I64 4
#define DEEPOBS_DTYPE_U8 5

#define DEEPOBS_DEVICE_CPU 0
#define DEEPOBS_DEVICE_CUDA 1

/* What a parameter tensor is (so rules can treat e.g. biases and norm parameters differently). */
#define DEEPOBS_PARAM_WEIGHT 0 /* dense / generic weight matrix */
#define DEEPOBS_PARAM_BIAS 1
#define DEEPOBS_PARAM_CONV_WEIGHT 2 /* convolution or transposed-convolution kernel */
#define DEEPOBS_PARAM_NORM_SCALE 3  /* batch-norm gamma */
#define DEEPOBS_PARAM_NORM_SHIFT 4  /* batch-norm beta */
#define DEEPOBS_PARAM_EMBEDDING 5
#define DEEPOBS_PARAM_RECURRENT 6 /* recurrent (LSTM) weight */

/* Hyperparameter types. */
#define DEEPOBS_HP_F64 0
#define DEEPOBS_HP_I64 1
#define DEEPOBS_HP_BOOL 2
#define DEEPOBS_HP_ENUM 3 /* one of spec.choices; the value is the choice's index */

/* State-slot kinds. */
/* LIKE_PARAMS: problem->flat_size elements of `dtype` (normally PARAMS), one per element of the
 * flat parameter buffer. SCALAR: a single element of `dtype` (F32, F64, I32 or I64). BYTES:
 * `bytes` opaque bytes; dtype must be U8. */
#define DEEPOBS_SLOT_LIKE_PARAMS 0
#define DEEPOBS_SLOT_SCALAR 1
#define DEEPOBS_SLOT_BYTES 2

/* Hessian-vector products: how the host computes ctx->hvp (ctx->hvp_method). */
#define DEEPOBS_HVP_NONE 0              /* ctx->hvp is NULL */
#define DEEPOBS_HVP_FINITE_DIFFERENCE 1 /* central difference of two gradients, see hvp */
#define DEEPOBS_HVP_EXACT 2             /* double backward */

/* Log levels for host->log. */
#define DEEPOBS_LOG_DEBUG 0
#define DEEPOBS_LOG_INFO 1
#define DEEPOBS_LOG_WARNING 2

/* ---- Capability flags (descriptor.capabilities, a bit set) ----------------------------------- */
#define DEEPOBS_CAP_CPU (1ull << 0)  /* runs on the CPU: pointers are host memory */
#define DEEPOBS_CAP_CUDA (1ull << 1) /* runs on a CUDA device: pointers are device memory */
#define DEEPOBS_CAP_NEEDS_LOSS_CLOSURE (1ull << 2) /* calls ctx->evaluate (line search, SAM) */
#define DEEPOBS_CAP_NEEDS_HVP (1ull << 3)          /* calls ctx->hvp */
/* Ignores ctx->learning_rate and schedules its own step size; the host still passes and records
 * the scheduled value (tell users to pass --learning_rate 1 so folder names say so). */
#define DEEPOBS_CAP_SCHEDULES_OWN_LR (1ull << 4)
/* Same inputs → bit-identical outputs on the same device (no atomics-order dependence). */
#define DEEPOBS_CAP_DETERMINISTIC (1ull << 5)
#define DEEPOBS_CAP_CUDA_GRAPH_SAFE (1ull << 6) /* see STREAMS above */
#define DEEPOBS_CAP_EVAL_PARAMS (1ull << 7)     /* provides eval_params (averaging, ...) */
#define DEEPOBS_CAP_F64 (1ull << 8)             /* accepts F64 parameters (F32 always) */
/* Reads ctx->loss in step on a CUDA device (since 1.1). Without it the host passes NAN there and
 * keeps the loss on the device, read back asynchronously, so a step needs no synchronisation; with
 * it (or with DEEPOBS_CAP_NEEDS_LOSS_CLOSURE) the host waits for the loss before each step. On the
 * CPU ctx->loss is always the value. */
#define DEEPOBS_CAP_NEEDS_LOSS_VALUE (1ull << 9)

/* ---- Build fingerprint --------------------------------------------------------------------------
 * What the library was compiled for. The host refuses, before calling create, a plugin whose
 * fingerprint does not fit the run's device:
 *   - on a CUDA device: the plugin must have DEEPOBS_CAP_CUDA, cuda_runtime_version != 0 with the
 *     same CUDA major as the host's runtime and not newer than the installed driver, and either a
 *     GPU binary for the device (an entry of gpu_archs with the device's major and a minor <= the
 *     device's) or PTX it can JIT (an entry of ptx_archs <= the device's compute capability);
 *   - on the CPU: the plugin must have DEEPOBS_CAP_CPU (cuda fields are then not checked).
 * Architectures are written as 10*major + minor: 90 for sm_90 / compute_90, 100 for sm_100. */
typedef struct deepobs_build_fingerprint {
  uint32_t struct_size; /* sizeof(deepobs_build_fingerprint) */
  /* CUDART_VERSION the library was compiled against (1000*major + 10*minor, e.g. 13000); 0 for a
   * CPU-only build. */
  int32_t cuda_runtime_version;
  uint32_t num_gpu_archs;
  const uint32_t* gpu_archs; /* GPU binaries (SASS) compiled in, e.g. {90}; NULL if none */
  uint32_t num_ptx_archs;
  const uint32_t* ptx_archs; /* PTX embedded for JIT, e.g. {90}; NULL if none */
  const char* compiler;      /* free text for the result JSON, e.g. "GNU 12.2.0 / nvcc 13.0"; may be
                                NULL */
} deepobs_build_fingerprint;

/* ---- Hyperparameters ---------------------------------------------------------------------------
 * The spec is the one table that drives the command line (`--hp name=value`), validation, the
 * result folder name (DeepOBS: hyperparameters sorted by name, "name__value" joined by "__"), the
 * result JSON ("optimizer_hyperparams") and tuners' search spaces. The learning rate is NOT a
 * hyperparameter: the host schedules it and passes it with every step (ctx->learning_rate); a spec
 * named "lr" or "learning_rate" is refused. */

/* One hyperparameter value, frozen within a major (an array element without struct_size). The
 * host fills BOTH fields for every type so that either can be read:
 *   F64:  f64 = the value, i64 = 0
 *   I64:  i64 = the value, f64 = (double)i64
 *   BOOL: i64 = 0 or 1,    f64 = 0.0 or 1.0
 *   ENUM: i64 = index into the spec's choices, f64 = (double)index
 * In a spec's default_value the plugin sets the field its type reads (f64 for F64, i64 for the
 * others); the other field is ignored. */
typedef struct deepobs_hparam_value {
  double f64;
  int64_t i64;
} deepobs_hparam_value;

/* Bits of deepobs_hparam_spec.flags. */
#define DEEPOBS_HP_HAS_DEFAULT (1u << 0)   /* without it the hyperparameter is required */
#define DEEPOBS_HP_MIN_EXCLUSIVE (1u << 1) /* range is (min, ... instead of [min, ... */
#define DEEPOBS_HP_MAX_EXCLUSIVE (1u << 2) /* range is ..., max) instead of ..., max] */
#define DEEPOBS_HP_LOG_SCALE (1u << 3)     /* tuners search log(value); needs min >= 0 */

typedef struct deepobs_hparam_spec {
  uint32_t struct_size; /* sizeof(deepobs_hparam_spec); the host uses spec[0].struct_size as the
                           stride of the array */
  int32_t type;         /* DEEPOBS_HP_* */
  /* [a-z][a-z0-9_]* , at most 64 characters, unique within the optimizer; as written on the
   * command line, in folder names and the JSON, e.g. "beta1". */
  const char* name;
  const char* doc; /* one line for `deepobs list` and error messages; may be NULL */
  uint32_t flags;  /* DEEPOBS_HP_* bits */
  deepobs_hparam_value default_value; /* used when flags has DEEPOBS_HP_HAS_DEFAULT */
  /* Admissible range for F64 and I64 (ignored for BOOL and ENUM). Use -HUGE_VAL / HUGE_VAL for an
   * open end. Non-finite values are always rejected. The default must lie inside. */
  double min;
  double max;
  /* ENUM only: the choices, each [A-Za-z0-9_.-]+ and unique; `--hp name=choice` takes the text,
   * folder names and the JSON show it. NULL / 0 for the other types. */
  uint32_t num_choices;
  const char* const* choices;
} deepobs_hparam_spec;

/* ---- State slots ---------------------------------------------------------------------------- */
typedef struct deepobs_state_slot_spec {
  uint32_t struct_size; /* sizeof(deepobs_state_slot_spec); stride of the array, as above */
  int32_t kind;         /* DEEPOBS_SLOT_* */
  const char* name;     /* [a-z][a-z0-9_]*, unique within the optimizer, e.g. "m", "step" */
  const char* doc;      /* one line; may be NULL */
  /* LIKE_PARAMS: DEEPOBS_DTYPE_PARAMS (recommended) or an explicit F32/F64/I32/I64;
   * SCALAR: F32, F64, I32 or I64; BYTES: U8. */
  int32_t dtype;
  int64_t bytes; /* BYTES only: the slot's size in bytes (> 0); 0 otherwise */
} deepobs_state_slot_spec;

/* ---- Host services ---------------------------------------------------------------------------
 * Passed to deepobs_optimizer_entry and create. Valid until the library is unloaded (entry) or
 * destroy returns (create); the plugin may keep the pointer in its instance. Every function takes
 * host_data as its first argument. All may be called only on the thread that is inside a call
 * from the host. */
typedef struct deepobs_host {
  uint32_t struct_size;
  uint32_t abi_version; /* the highest ABI version the host speaks (DEEPOBS_ABI_VERSION packing) */
  void* host_data;      /* opaque; pass it back unchanged */
  /* Records why the current call fails: one line, no trailing newline. The host copies the text
   * during the call; the last report before the failing return wins. Never fails. */
  void (*report_error)(void* host_data, deepobs_status status, const char* message);
  /* Prints a line to the run's log (stderr), prefixed with the optimizer id. DEBUG lines only
   * when the environment variable DEEPOBS_PLUGIN_DEBUG is set. */
  void (*log)(void* host_data, int32_t level, const char* message);
  /* Scratch memory on the run's device (device memory on CUDA, host memory on the CPU), at least
   * 256-byte aligned, NOT zeroed and NOT checkpointed, counted in the result's
   * "optimizer_cost" -> "scratch_bytes". Returns OK and sets *out, or OUT_OF_MEMORY (having
   * reported the error itself). `bytes` == 0 gives *out = NULL. */
  deepobs_status (*allocate)(void* host_data, size_t bytes, void** out);
  /* Returns memory from allocate (same pointer); NULL is ignored. On CUDA the release is ordered
   * on the run's stream, so the plugin need not wait for its kernels. */
  void (*deallocate)(void* host_data, void* ptr);
} deepobs_host;

/* ---- The problem ----------------------------------------------------------------------------
 * The model's parameters live in one flat buffer (and the gradients in a second of the same
 * length); each tensor is a contiguous segment of it, in row-major order. Segments are aligned, so
 * there are gaps: the host keeps parameters, gradients and LIKE_PARAMS slots zero in the gaps, and
 * an elementwise rule that maps (param 0, grad 0, state 0) to 0 may simply run over all flat_size
 * elements. Rules that need per-tensor structure (layer-wise, matrix methods) use the tensors. */
typedef struct deepobs_device {
  int32_t type;               /* DEEPOBS_DEVICE_CPU or DEEPOBS_DEVICE_CUDA */
  int32_t index;              /* CUDA device ordinal; 0 for the CPU */
  int32_t compute_capability; /* 10*major + minor (90 for an H100); 0 for the CPU */
} deepobs_device;

typedef struct deepobs_tensor_info {
  uint32_t struct_size;
  int32_t kind;         /* DEEPOBS_PARAM_* */
  const char* name;     /* full name, e.g. "conv1/weight" */
  int32_t ndim;         /* 0 for a scalar */
  const int64_t* shape; /* ndim sizes, row-major */
  int64_t offset;       /* of the first element, in elements from the start of the flat buffer */
  int64_t numel;        /* product of shape (1 for a scalar) */
  /* 1 if the problem's L2 regulariser (weight_decay/2)·‖W‖² covers this tensor, else 0. The
   * host's loss and gradients ALREADY include that term (DeepOBS adds it to the loss): an
   * optimizer with decoupled weight decay must not add it again unless it means to. */
  int32_t regularisation_group;
  int32_t layer_index; /* position of the owning layer in the model; -1 if unknown */
  double weight_decay; /* the problem's L2 coefficient for this tensor (0 if not regularised) */
} deepobs_tensor_info;

typedef struct deepobs_problem {
  uint32_t struct_size;
  int32_t dtype;          /* DEEPOBS_DTYPE_F32 or DEEPOBS_DTYPE_F64: params and grads */
  const char* name;       /* DeepOBS test-problem name, e.g. "cifar10_3c3d" */
  deepobs_device device;  /* where the buffers live and where the steps run */
  int64_t flat_size;      /* elements in the flat buffers, gaps included */
  int64_t num_parameters; /* trainable scalars, gaps excluded */
  uint32_t num_tensors;
  const deepobs_tensor_info* const* tensors; /* num_tensors pointers, in buffer order */
  int64_t batch_size;                        /* training mini-batch size */
  int64_t train_set_size; /* examples one training epoch uses: steps_per_epoch * batch_size
                             (DeepOBS drops a last partial batch) */
  int64_t steps_per_epoch;
  int64_t planned_steps; /* steps the run plans: steps_per_epoch * num_epochs */
  int32_t num_epochs;
  int32_t reserved0; /* 0 */
  uint64_t seed;     /* the run's random seed, for rules that draw random numbers */
} deepobs_problem;

/* ---- The step context -------------------------------------------------------------------------
 * Passed to init_state, step and eval_params. Valid only during that call (do not keep pointers
 * into it). Fields marked (step) are meaningful only in step. */
typedef struct deepobs_step_context deepobs_step_context;
struct deepobs_step_context {
  uint32_t struct_size;
  int32_t dtype;          /* as problem->dtype */
  int64_t step;           /* 0-based global step: updates applied before this one */
  int64_t epoch;          /* 0-based epoch this step belongs to */
  double learning_rate;   /* the scheduled learning rate for this step (finite, host value) */
  double elapsed_seconds; /* wall time since training started (host clock) */
  void* stream;           /* cudaStream_t on CUDA; NULL on the CPU */
  deepobs_device device;
  int64_t flat_size;
  void* params;      /* flat parameters, flat_size elements of dtype: read and write */
  const void* grads; /* (step) flat mini-batch gradient at params (loss incl. the L2 term);
                        read only; NULL in init_state and eval_params */
  uint32_t num_state_slots;
  void* const* state; /* state[i]: the memory of descriptor slot i (read and write) */
  /* (step) The mini-batch loss at params before this update (regulariser included), as a host
   * value. On a CUDA device only with DEEPOBS_CAP_NEEDS_LOSS_VALUE or
   * DEEPOBS_CAP_NEEDS_LOSS_CLOSURE (else NAN: reading it back would stall every step). NAN in
   * init_state and eval_params. */
  double loss;

  /* Host callbacks; NULL outside step. Each returns OK or a status (then the plugin should return
   * that status from step; the host has already recorded the message). The host counts every
   * call; the counts and the time they take are part of the optimizer's measured cost. */
  /* Loss (and optionally gradient) on the SAME mini-batch as this step: the same examples in the
   * same order, the model in training mode with the step's own random draws (its dropout masks
   * and noise) and no update of running statistics, so it evaluates the very function the step
   * differentiated, however often it is called. Each call is one more forward (and backward)
   * pass. `params_or_null`: a flat buffer
   * (flat_size, dtype, same device) to evaluate at, or NULL for the current ctx->params (as the
   * plugin may have changed them). *loss receives the loss (host double); `grad_or_null`, if not
   * NULL, receives the flat gradient (same layout; gaps zero). ctx->params and ctx->grads are not
   * modified by the call. On CUDA the call synchronises the stream internally (the loss is
   * read back); it is the one documented exception to the no-synchronisation rule. */
  deepobs_status (*evaluate)(const deepobs_step_context* ctx, const void* params_or_null,
                             double* loss, void* grad_or_null);
  /* out = H v, the Hessian of the mini-batch loss at the current ctx->params times the flat vector
   * `v` (both flat_size, dtype, same device; out may not alias v or params). How the host
   * computes it is in ctx->hvp_method: with DEEPOBS_HVP_FINITE_DIFFERENCE it is the central
   * difference (g(θ + εv) − g(θ − εv)) / (2ε) of two gradient evaluations on the same
   * mini-batch, with ε = r · max(1, rms(θ)) / rms(v), rms(x) = sqrt(mean(x²)) over the flat
   * buffer, and r = 2^-8 for F32, 2^-17 for F64 (≈ cube root of the machine epsilon, balancing
   * truncation against rounding error), so it is approximate (relative error ~ r² in smooth
   * regions, worse at ReLU kinks) and costs two gradient evaluations, counted as one hvp call. A
   * zero v gives out = 0 without evaluation. */
  deepobs_status (*hvp)(const deepobs_step_context* ctx, const void* v, void* out);
  /* Records a named scalar for this step (e.g. "trust_ratio"); the host keeps them in the result
   * JSON under "optimizer_log" (name: [[step, value], ...], at most 10000 entries per name, the
   * rest counted). name: [a-z][a-z0-9_]*, at most 64 characters. */
  void (*log_scalar)(const deepobs_step_context* ctx, const char* name, double value);
  int32_t hvp_method; /* DEEPOBS_HVP_* */
  int32_t reserved0;  /* 0 */
  void* host_private; /* the host's; do not touch */
  /* (Since 1.1; check with DEEPOBS_HAS_FIELD.) On CUDA: a device pointer to learning_rate as a
   * double, in memory the host owns and rewrites only between steps (when the schedule changes),
   * so a kernel that reads the learning rate from here rather than taking it as an argument stays
   * valid when the step is captured into a CUDA graph. NULL on the CPU. */
  const double* learning_rate_device;
};

/* ---- The instance and the function table ----------------------------------------------------- */

/* Opaque: defined (or not) by the plugin; the host only passes the pointer back. */
typedef struct deepobs_optimizer_instance deepobs_optimizer_instance;

/* Creates one optimizer for one run. `hparams` has exactly one value per descriptor
 * hyperparameter, in spec order, already parsed, typed, range-checked and with defaults filled in
 * by the host (num_hparams == descriptor->num_hyperparameters). The plugin may refuse the problem
 * (dtype, device, size) with UNSUPPORTED_DEVICE / INVALID_ARGUMENT after report_error. On OK,
 * *out is non-NULL (a plugin without per-instance data may return any non-NULL pointer). */
typedef deepobs_status (*deepobs_create_fn)(const deepobs_host* host,
                                            const deepobs_problem* problem,
                                            const deepobs_hparam_value* hparams,
                                            uint32_t num_hparams, deepobs_optimizer_instance** out);
/* Releases everything create allocated. Called exactly once per successful create, also after a
 * failed step. Must not fail. */
typedef void (*deepobs_destroy_fn)(deepobs_optimizer_instance* instance);
/* Optional (NULL: slots stay zero). Called once after create and before the first step, with the
 * initial parameters in ctx->params and the zeroed slots in ctx->state; NOT called when the host
 * restores the state from a checkpoint instead. grads is NULL, loss is NAN, callbacks are NULL. */
typedef deepobs_status (*deepobs_init_state_fn)(deepobs_optimizer_instance* instance,
                                                const deepobs_step_context* ctx);
/* Required. One update: reads ctx->grads (and may call ctx->evaluate / hvp), writes ctx->params
 * and the state slots. A non-finite gradient is not a reason to fail: let it propagate into the
 * parameters (the host detects divergence from the loss), unless the rule cannot proceed
 * (NUMERICAL_FAILURE). */
typedef deepobs_status (*deepobs_step_fn)(deepobs_optimizer_instance* instance,
                                          const deepobs_step_context* ctx);
/* Optional (needs DEEPOBS_CAP_EVAL_PARAMS). Writes into `out` (flat_size elements of dtype on the
 * device) the parameters the host should evaluate instead of ctx->params (e.g. an average). Called
 * before each evaluation pass; ctx as in init_state, with ctx->params read-only here. */
typedef deepobs_status (*deepobs_eval_params_fn)(deepobs_optimizer_instance* instance,
                                                 const deepobs_step_context* ctx, void* out);
/* Optional. Returns a static struct for the extension named `id` (reverse-DNS, e.g.
 * "org.deepobs.example.v1"), or NULL if unknown. instance is NULL when the host asks before
 * create. This is how capabilities beyond this header are added without a new major. */
typedef const void* (*deepobs_get_extension_fn)(deepobs_optimizer_instance* instance,
                                                const char* id);

/* ---- The descriptor ---------------------------------------------------------------------------
 * Returned by deepobs_optimizer_entry; static. */
typedef struct deepobs_optimizer_descriptor {
  uint32_t struct_size; /* FROZEN position: sizeof(deepobs_optimizer_descriptor) */
  uint32_t abi_version; /* FROZEN position: DEEPOBS_OPTIMIZER_ABI_VERSION at compile time */
  const deepobs_build_fingerprint* fingerprint; /* required */

  /* Unique id, reverse-DNS style: [a-z0-9][a-z0-9._-]*, at most 128 characters, e.g.
   * "org.example.lion". Prefixes errors ("optimizer org.example.lion: ...") and the JSON. */
  const char* id;
  /* The optimizer's name in result folders and the JSON "optimizer_name" (DeepOBS uses the class
   * name, e.g. "AdamOptimizer"): [A-Za-z][A-Za-z0-9_]*, at most 64 characters. */
  const char* name;
  const char* version;     /* the plugin's own version, e.g. "1.0.0"; required */
  const char* description; /* one line; may be NULL */
  const char* author;      /* may be NULL */
  const char* license;     /* SPDX identifier, e.g. "MIT"; may be NULL */
  /* Extra names accepted by --optimizer (case-insensitive), e.g. {"adam"}; may be NULL / 0. */
  uint32_t num_aliases;
  const char* const* aliases;

  uint64_t capabilities; /* DEEPOBS_CAP_* bits; at least one of CPU and CUDA */

  uint32_t num_hyperparameters;
  const deepobs_hparam_spec* hyperparameters; /* NULL if none */
  uint32_t num_state_slots;
  const deepobs_state_slot_spec* state_slots; /* NULL if none; slot i is ctx->state[i] */

  /* Function table. create, destroy and step are required; the rest may be NULL. */
  deepobs_create_fn create;
  deepobs_destroy_fn destroy;
  deepobs_init_state_fn init_state;
  deepobs_step_fn step;
  deepobs_eval_params_fn eval_params; /* non-NULL iff DEEPOBS_CAP_EVAL_PARAMS */
  deepobs_get_extension_fn get_extension;
} deepobs_optimizer_descriptor;

/* ---- The entry point ---------------------------------------------------------------------------
 * The only symbol a plugin exports (extern "C", default visibility; build everything else hidden).
 * host_abi_min/host_abi_max: the range of ABI versions the host speaks (DEEPOBS_ABI_VERSION
 * packing); host: its services (report_error may be used to say why NULL is returned). Returns the
 * static descriptor, or NULL when the plugin cannot work with this host. Must be cheap and free of
 * side effects (no CUDA calls: the host may call it in a process without a GPU, e.g. for
 * `deepobs list` or the validator); it may be called more than once. */
typedef const deepobs_optimizer_descriptor* (*deepobs_optimizer_entry_fn)(uint32_t host_abi_min,
                                                                          uint32_t host_abi_max,
                                                                          const deepobs_host* host);

#ifndef DEEPOBS_OPTIMIZER_NO_ENTRY_DECLARATION
DEEPOBS_OPTIMIZER_EXPORT const deepobs_optimizer_descriptor* deepobs_optimizer_entry(
    uint32_t host_abi_min, uint32_t host_abi_max, const deepobs_host* host);
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DEEPOBS_OPTIMIZER_PLUGIN_H */
