// Shared by every CTorch translation unit: the handle types, the error trap, and conversions.
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "CTorchEngine.h"

struct ct_tensor_impl {
  at::Tensor tensor;
};

struct ct_generator_impl {
  at::Generator generator;
};

namespace ctorch {

void set_error(const std::string &message);

/// body(chunk_begin, chunk_end) over [begin, end) in chunks of at least `grain`, on libtorch's OpenMP
/// threads (parallel.cpp; at::parallel_for runs serially in this library). body must not throw.
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)> &body);

extern std::atomic<int64_t> live_tensors;

inline ct_tensor wrap(at::Tensor t) {
  auto handle = new ct_tensor_impl{std::move(t)};
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return handle;
}

/// Throws when a required handle is missing, so a NULL from Swift becomes an error, not a crash.
inline const at::Tensor &unwrap(ct_tensor t) {
  if (t == nullptr) throw std::invalid_argument("a required tensor argument was NULL");
  return t->tensor;
}

template <typename T>
inline void require_output(T *out) {
  if (out == nullptr) throw std::invalid_argument("output pointer was NULL");
}

inline c10::optional<at::Tensor> optional_tensor(ct_tensor t) {
  if (t == nullptr) return c10::nullopt;
  return t->tensor;
}

inline at::IntArrayRef ints(const int64_t *data, int64_t n) {
  if (n < 0 || (n > 0 && data == nullptr)) throw std::invalid_argument("invalid integer array");
  return at::IntArrayRef(data, static_cast<size_t>(n));
}

/// x ← silu(x + strength·noise) in one pass (noise_silu.cpp) for a contiguous float32 or bfloat16
/// x (B, C, T), noise (B, 1, T) of x's dtype and a one-element strength; false (x untouched) for any
/// other layout, which the caller then computes with libtorch's ops.
bool add_scaled_silu_fused(at::Tensor &x, const at::Tensor &strength, const at::Tensor &noise);

inline std::vector<at::Tensor> tensors(const ct_tensor *ts, int64_t n) {
  if (n < 0 || (n > 0 && ts == nullptr)) throw std::invalid_argument("invalid tensor array");
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) v.push_back(unwrap(ts[i]));
  return v;
}

at::ScalarType scalar_type(int dtype);
int dtype_code(at::ScalarType type);
at::Device device(int code);
int device_code(const at::Device &device);

inline at::TensorOptions options(int dtype, int device_code) {
  return at::TensorOptions().dtype(scalar_type(dtype)).device(device(device_code));
}

}  // namespace ctorch

// Every entry point's body goes through this: C++ exceptions become a -1 and a stored message.
#define CT_PROTECT(...)                                  \
  try {                                                  \
    __VA_ARGS__;                                         \
    return 0;                                            \
  } catch (const c10::Error &e) {                        \
    ctorch::set_error(e.what_without_backtrace());       \
  } catch (const std::exception &e) {                    \
    ctorch::set_error(e.what());                         \
  } catch (...) {                                        \
    ctorch::set_error("unknown C++ exception");          \
  }                                                      \
  return -1;

// Runs an op producing one tensor and stores it in *out.
#define CT_TENSOR_OP(out, expr)                                                       \
  CT_PROTECT(if ((out) == nullptr) throw std::invalid_argument("output pointer was NULL"); \
             *(out) = ctorch::wrap(expr))
