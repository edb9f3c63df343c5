// ctorch.h — the C API that the Swift `Torch` module uses to reach libtorch.
//
// Conventions (after tch-rs' torch_api.h):
// - Handles are opaque pointers; each kind has its own `_free`.
// - Every fallible function returns 0 on success and -1 on failure. On failure nothing is written
//   to the outputs and `ct_last_error()` holds the C++ message (thread-local) until the next failure
//   or `ct_clear_error()`. No C++ exception ever leaves this API.
// - Outputs come first (`ct_tensor *out`); arrays cross as (pointer, length); bools as int.
// - Devices are ints: -1 is the CPU, n >= 0 is CUDA device n.
// - Nullable tensor arguments (a bias, a window) are marked "or NULL".
#ifndef CTORCH_H
#define CTORCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_tensor_impl *ct_tensor;
typedef struct ct_generator_impl *ct_generator;

/// Element types. Numbering is ours, not libtorch's, so the Swift side never depends on it.
typedef enum {
  CT_FLOAT32 = 0,
  CT_FLOAT64 = 1,
  CT_FLOAT16 = 2,
  CT_BFLOAT16 = 3,
  CT_INT64 = 4,
  CT_INT32 = 5,
  CT_UINT8 = 6,
  CT_BOOL = 7,
  CT_COMPLEX64 = 8,
  CT_COMPLEX128 = 9,
} ct_dtype;

#define CT_DEVICE_CPU (-1)
#define CT_KEEP (-2) /* in ct_tensor_to: keep the dtype / device */

// ---------------------------------------------------------------- runtime (runtime.cpp)
const char *ct_last_error(void);
void ct_clear_error(void);
void ct_string_free(char *s);
/// libtorch's version, e.g. "1.13.1".
const char *ct_torch_version(void);
/// libtorch's build configuration (BLAS, oneDNN, OpenMP…), malloc'd; free with ct_string_free.
int ct_torch_config(char **out);
int ct_set_num_threads(int64_t n);
int64_t ct_get_num_threads(void);
/// One task of ct_parallel_for: must not throw (Swift cannot). It may call back into libtorch: nested
/// parallel ops then run serially on its thread, with that thread's own grad mode.
typedef void (*ct_parallel_body)(void *context, int64_t index);
/// Runs body(context, i) for i in [0, count) on libtorch's intra-op threads (OpenMP), one index per
/// task: CPU work that sits between tensor ops then uses the threads that would otherwise spin
/// waiting for the next op, rather than competing with them.
int ct_parallel_for(int64_t count, ct_parallel_body body, void *context);
/// 1 if a CUDA device can be used. Loads libtorch_cuda beside libtorch_cpu on first call, if any.
int ct_cuda_is_available(void);
int64_t ct_cuda_device_count(void);
/// Hands the allocator's free pages back to the system (glibc malloc_trim; a no-op elsewhere).
void ct_release_free_memory(void);
/// Grad mode is thread-local in libtorch. Returns the previous state (0/1).
int ct_set_grad_enabled(int enabled);
int ct_is_grad_enabled(void);

// ---------------------------------------------------------------- tensors (tensor.cpp)
void ct_tensor_free(ct_tensor t);
/// Tensor handles currently alive (created and not yet freed): an exact leak detector.
int64_t ct_tensor_live_count(void);
/// Copies `ndim`-dimensional data of `dtype` from `data` (row-major, contiguous) into a new CPU tensor.
int ct_tensor_from_data(ct_tensor *out, const void *data, const int64_t *shape, int64_t ndim, int dtype);
/// A CPU tensor over a file of raw little-endian elements, memory-mapped (private, copy-on-write): its
/// pages are read on demand and may be dropped by the kernel under memory pressure. The file must hold
/// exactly the shape's bytes.
int ct_tensor_map_file(ct_tensor *out, const char *path, const int64_t *shape, int64_t ndim, int dtype);
/// Copies the tensor's elements (moved to the CPU, made contiguous) to `dst`; `nbytes` must match.
int ct_tensor_copy_to(ct_tensor t, void *dst, size_t nbytes);
int ct_tensor_ndim(ct_tensor t, int64_t *out);
/// Writes ndim sizes into `out`.
int ct_tensor_shape(ct_tensor t, int64_t *out);
int ct_tensor_dtype(ct_tensor t, int *out);
int ct_tensor_device(ct_tensor t, int *out);
int ct_tensor_numel(ct_tensor t, int64_t *out);
int ct_tensor_item_double(ct_tensor t, double *out);
int ct_tensor_item_int64(ct_tensor t, int64_t *out);
int ct_tensor_defined(ct_tensor t, int *out);
/// A new handle to the same tensor (same storage, same autograd identity).
int ct_tensor_shallow_clone(ct_tensor *out, ct_tensor t);
/// A deep copy (differentiable, like torch.clone).
int ct_tensor_clone(ct_tensor *out, ct_tensor t);
int ct_tensor_detach(ct_tensor *out, ct_tensor t);
/// dtype or device may be CT_KEEP.
int ct_tensor_to(ct_tensor *out, ct_tensor t, int dtype, int device);
int ct_tensor_contiguous(ct_tensor *out, ct_tensor t);
int ct_tensor_requires_grad(ct_tensor t, int *out);
int ct_tensor_set_requires_grad(ct_tensor t, int requires_grad);
/// The accumulated gradient, or *out = NULL when there is none.
int ct_tensor_grad(ct_tensor *out, ct_tensor t);
/// Drops the accumulated gradient.
int ct_tensor_zero_grad(ct_tensor t);
/// In-place copy without recording autograd (shapes must match or broadcast).
int ct_tensor_copy_(ct_tensor dst, ct_tensor src);
/// Replaces dst's data with src's (dtype/device may change) keeping dst's identity, like `p.data = x`.
int ct_tensor_set_data(ct_tensor dst, ct_tensor src);
int ct_tensor_fill_(ct_tensor t, double value);
/// A printable description, malloc'd; free with ct_string_free.
int ct_tensor_description(ct_tensor t, char **out);
int ct_tensor_full(ct_tensor *out, const int64_t *shape, int64_t ndim, double value, int dtype, int device);
int ct_tensor_arange(ct_tensor *out, double start, double end, double step, int dtype, int device);
int ct_tensor_linspace(ct_tensor *out, double start, double end, int64_t steps, int dtype, int device);

// ---------------------------------------------------------------- random (random.cpp)
// All randomness is drawn from explicit generators (libtorch's CPU mt19937 generator). Draws for
// another device are made on the CPU and moved, so results do not depend on the device.
int ct_generator_new(ct_generator *out, uint64_t seed);
void ct_generator_free(ct_generator g);
int ct_generator_clone(ct_generator *out, ct_generator g);
/// The full RNG state as a uint8 tensor (for exact resume).
int ct_generator_get_state(ct_tensor *out, ct_generator g);
int ct_generator_set_state(ct_generator g, ct_tensor state);
int ct_random_normal(ct_tensor *out, ct_generator g, const int64_t *shape, int64_t ndim, double mean, double std,
                     int dtype, int device);
int ct_random_uniform(ct_tensor *out, ct_generator g, const int64_t *shape, int64_t ndim, double low, double high,
                      int dtype, int device);
/// Standard normal draws, each redrawn until it lies within [-bound, bound].
int ct_random_truncated_normal(ct_tensor *out, ct_generator g, const int64_t *shape, int64_t ndim, double bound,
                               int dtype, int device);
/// Integers uniformly in [low, high), int64.
int ct_random_int(ct_tensor *out, ct_generator g, int64_t low, int64_t high, const int64_t *shape, int64_t ndim,
                  int device);
/// A random permutation of 0..<n, int64.
int ct_random_permutation(ct_tensor *out, ct_generator g, int64_t n, int device);
/// In place, without recording autograd.
int ct_random_normal_(ct_tensor t, ct_generator g, double mean, double std);
/// N(0, 1) noise tied to positions, with no generator state: a (batch, 1, length) float32 tensor whose
/// element (b, 0, i) is a function of (seed, b, p) alone, p = start + i (modulo period when period > 0).
/// The same position gives the same value whatever span it is drawn in.
int ct_random_positional_normal(ct_tensor *out, uint64_t seed, int64_t batch, int64_t start, int64_t length,
                                int64_t period);
int ct_random_uniform_(ct_tensor t, ct_generator g, double low, double high);

// ---------------------------------------------------------------- math (ops.cpp)
typedef enum {
  CT_NEG = 0, CT_ABS, CT_SQRT, CT_RSQRT, CT_EXP, CT_LOG, CT_LOG10, CT_LOG1P, CT_SIN, CT_COS,
  CT_TANH, CT_SIGMOID, CT_SILU, CT_RELU, CT_FLOOR, CT_CEIL, CT_ROUND, CT_SIGN, CT_SQUARE,
  CT_RECIPROCAL, CT_LOGICAL_NOT, CT_ISNAN, CT_ISFINITE, CT_ANGLE, CT_REAL, CT_IMAG,
} ct_unary_op;

typedef enum {
  CT_ADD = 0, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM, CT_MINIMUM, CT_REMAINDER,
  CT_EQ, CT_NE, CT_LT, CT_LE, CT_GT, CT_GE, CT_LOGICAL_AND, CT_LOGICAL_OR, CT_ATAN2,
} ct_binary_op;

typedef enum { CT_SUM = 0, CT_MEAN, CT_AMAX, CT_AMIN, CT_PROD } ct_reduce_op;

int ct_op_unary(ct_tensor *out, int op, ct_tensor t);
int ct_op_binary(ct_tensor *out, int op, ct_tensor a, ct_tensor b);
/// a (op) s, with s a scalar.
int ct_op_binary_scalar(ct_tensor *out, int op, ct_tensor a, double s);
int ct_op_where(ct_tensor *out, ct_tensor condition, ct_tensor a, ct_tensor b);
/// In place, for inference (refused while grad mode is on): t = silu(t + strength · noise), strength and
/// noise broadcasting to t. One pass over t instead of three allocations and passes.
int ct_op_add_scaled_silu_(ct_tensor t, ct_tensor strength, ct_tensor noise);
/// In place, for inference (refused while grad mode is on): a += b, b broadcasting to a.
int ct_op_add_(ct_tensor a, ct_tensor b);
/// Clamps to [low, high]; a bound is ignored when its has_ flag is 0.
int ct_op_clamp(ct_tensor *out, ct_tensor t, double low, double high, int has_low, int has_high);
int ct_op_leaky_relu(ct_tensor *out, ct_tensor t, double slope);
int ct_op_matmul(ct_tensor *out, ct_tensor a, ct_tensor b);
/// Reduces over `dims` (ndims == 0: over all elements).
int ct_op_reduce(ct_tensor *out, int op, ct_tensor t, const int64_t *dims, int64_t ndims, int keepdim);
/// Variance (is_std = 0) or standard deviation (is_std = 1) with Bessel `correction` (0 = population).
int ct_op_var_std(ct_tensor *out, int is_std, ct_tensor t, const int64_t *dims, int64_t ndims, int64_t correction,
                  int keepdim);
int ct_op_argmax(ct_tensor *out, ct_tensor t, int64_t dim, int keepdim);
/// Running sum along `dim` (differentiable).
int ct_op_cumsum(ct_tensor *out, ct_tensor t, int64_t dim);

// ---------------------------------------------------------------- shapes (shape.cpp)
int ct_op_cat(ct_tensor *out, const ct_tensor *ts, int64_t n, int64_t dim);
int ct_op_stack(ct_tensor *out, const ct_tensor *ts, int64_t n, int64_t dim);
/// Splits into pieces of the given sizes; `outs` must hold `nsizes` handles.
int ct_op_split(ct_tensor *outs, ct_tensor t, const int64_t *sizes, int64_t nsizes, int64_t dim);
/// Splits into at most `chunks` pieces; writes the count to *n_out (<= chunks); `outs` holds `chunks`.
int ct_op_chunk(ct_tensor *outs, int64_t *n_out, ct_tensor t, int64_t chunks, int64_t dim);
int ct_op_narrow(ct_tensor *out, ct_tensor t, int64_t dim, int64_t start, int64_t length);
int ct_op_select(ct_tensor *out, ct_tensor t, int64_t dim, int64_t index);
int ct_op_reshape(ct_tensor *out, ct_tensor t, const int64_t *shape, int64_t ndim);
int ct_op_permute(ct_tensor *out, ct_tensor t, const int64_t *dims, int64_t ndim);
int ct_op_transpose(ct_tensor *out, ct_tensor t, int64_t dim0, int64_t dim1);
int ct_op_expand(ct_tensor *out, ct_tensor t, const int64_t *shape, int64_t ndim);
int ct_op_repeat(ct_tensor *out, ct_tensor t, const int64_t *repeats, int64_t ndim);
int ct_op_unsqueeze(ct_tensor *out, ct_tensor t, int64_t dim);
int ct_op_squeeze(ct_tensor *out, ct_tensor t, int64_t dim);
int ct_op_flip(ct_tensor *out, ct_tensor t, const int64_t *dims, int64_t ndims);
int ct_op_index_select(ct_tensor *out, ct_tensor t, int64_t dim, ct_tensor index);

// ---------------------------------------------------------------- neural-network ops (nn.cpp)
/// x (B, Cin, T), w (Cout, Cin/groups, K), bias or NULL.
int ct_op_conv1d(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor bias, int64_t stride, int64_t padding,
                 int64_t dilation, int64_t groups);
/// x (B, Cin, H, W), w (Cout, Cin/groups, KH, KW); stride, padding, dilation are (h, w) pairs.
int ct_op_conv2d(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor bias, const int64_t *stride,
                 const int64_t *padding, const int64_t *dilation, int64_t groups);
/// x (B, Cin, T), w (Cin, Cout/groups, K).
int ct_op_conv_transpose1d(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor bias, int64_t stride,
                           int64_t padding, int64_t output_padding, int64_t groups, int64_t dilation);
/// Inference form of a CPU transposed conv (groups 1, dilation 1): `ct_op_conv_transpose1d_phases`
/// re-lays w (Cin, Cout, K) once as its stride phase kernels (stride·Cout, Cin, ceil(K/stride));
/// `ct_op_conv_transpose1d_from_phases` then gives what ct_op_conv_transpose1d gives with w.
int ct_op_conv_transpose1d_phases(ct_tensor *out, ct_tensor w, int64_t stride);
int ct_op_conv_transpose1d_from_phases(ct_tensor *out, ct_tensor x, ct_tensor phases, ct_tensor bias, int64_t stride,
                                       int64_t kernel, int64_t padding, int64_t output_padding);
/// x (..., in), w (out, in), bias or NULL.
int ct_op_linear(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor bias);
typedef enum { CT_PAD_CONSTANT = 0, CT_PAD_REFLECT = 1, CT_PAD_REPLICATE = 2 } ct_pad_mode;
/// `pads` as in torch.nn.functional.pad: (last_left, last_right, prev_left, prev_right, ...).
int ct_op_pad(ct_tensor *out, ct_tensor x, const int64_t *pads, int64_t npads, int mode, double value);
int ct_op_avg_pool1d(ct_tensor *out, ct_tensor x, int64_t kernel, int64_t stride, int64_t padding, int ceil_mode,
                     int count_include_pad);

// ---------------------------------------------------------------- spectral (spectral.cpp)
int ct_op_hann_window(ct_tensor *out, int64_t length, int periodic, int dtype, int device);
/// x (B, N) or (N) real → complex (B, n_fft/2+1, frames) when onesided.
int ct_op_stft(ct_tensor *out, ct_tensor x, int64_t n_fft, int64_t hop, int64_t win_length, ct_tensor window,
               int center, int normalized, int onesided);
/// Inverse of ct_op_stft; length < 0 means unspecified.
int ct_op_istft(ct_tensor *out, ct_tensor x, int64_t n_fft, int64_t hop, int64_t win_length, ct_tensor window,
                int center, int normalized, int onesided, int64_t length);
int ct_op_rfft(ct_tensor *out, ct_tensor x, int64_t n, int64_t dim);
int ct_op_irfft(ct_tensor *out, ct_tensor x, int64_t n, int64_t dim);
/// magnitude · e^{i·phase} as a complex tensor.
int ct_op_polar(ct_tensor *out, ct_tensor magnitude, ct_tensor phase);
/// frames (C, T, n) × window (n), block k of frame t added at output block t + k: (C, (T − 1)·hop + n).
int ct_op_overlap_add(ct_tensor *out, ct_tensor frames, ct_tensor window, int64_t hop);
/// Fast Griffin-Lim from `spectrum` (C, T, bins) complex64 with `magnitude` (C, T, bins) float32 imposed:
/// `iterations` rounds of inverse STFT (irfft, overlap-add with `synthesis`), STFT (frames at `hop`
/// times `analysis`, rfft) and a step past the projection by `momentum`; returns the last estimate with
/// the magnitude imposed, (C, T, bins) complex64. Frames-major throughout, one fused pass per round
/// for the step and the magnitude.
int ct_op_fast_griffin_lim(ct_tensor *out, ct_tensor magnitude, ct_tensor spectrum, ct_tensor analysis,
                           ct_tensor synthesis, int64_t hop, int64_t iterations, double momentum);

// ---------------------------------------------------------------- autograd (autograd.cpp)
/// Backpropagates from `t` (a scalar unless `grad` is given; grad may be NULL).
int ct_autograd_backward(ct_tensor t, ct_tensor grad, int retain_graph, int create_graph);
/// torch.autograd.grad: writes n_inputs handles to `outs` (NULL where an input is unused and
/// allow_unused is set). grad_outputs may be NULL (ones for scalar outputs).
int ct_autograd_grad(ct_tensor *outs, const ct_tensor *outputs, int64_t n_outputs, const ct_tensor *grad_outputs,
                     const ct_tensor *inputs, int64_t n_inputs, int retain_graph, int create_graph,
                     int allow_unused);

// ---------------------------------------------------------------- optimisation (optim.cpp)
/// One Adam/AdamW update of n parameters, in place, from their .grad. `steps[i]` counts the updates
/// parameter i has had; it is incremented here for each parameter that has a gradient (the others
/// are skipped and keep their count), as torch.optim does. The state tensors are owned by the
/// caller, so they can be saved. decoupled = 1 gives AdamW (p *= 1 - lr*wd); 0 gives Adam's L2
/// (g += wd*p).
int ct_optim_adam_step(const ct_tensor *params, const ct_tensor *exp_avg, const ct_tensor *exp_avg_sq,
                       int64_t *steps, int64_t n, double lr, double beta1, double beta2, double eps,
                       double weight_decay, int decoupled);
/// shadow = decay·shadow + (1 − decay)·param, for n pairs, in place and without autograd.
int ct_ema_update(const ct_tensor *shadow, const ct_tensor *params, int64_t n, double decay);

#ifdef __cplusplus
}
#endif

#endif
