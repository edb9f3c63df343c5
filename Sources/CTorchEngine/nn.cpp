// Convolutions, linear layers, padding and pooling.
#include <list>
#include <mutex>

#include "internal.h"

using ctorch::unwrap;

namespace {

// ---- Transposed convolution as polyphase convolutions (CPU).
//
// libtorch 1.13 has no bfloat16 transposed convolution on the CPU, and its fp32 one runs at a fraction
// of oneDNN's plain-convolution speed. A stride-s transposed conv with kernel K is s ordinary
// convolutions with M = ceil(K/s) taps each (one per output phase r: taps w[r], w[r+s], …, flipped),
// interleaved: y[q·s + r] = Σ_m x[q − m] · w[r + s·m]. The s phase kernels are stacked as output
// channels, so it is one conv1d, then a reshape that interleaves the phases.

// (Cin, Cout, K) → (s·Cout, Cin, M), phase-major.
at::Tensor polyphase_weight(const at::Tensor &w, int64_t s) {
  int64_t cin = w.size(0), cout = w.size(1), k = w.size(2);
  int64_t m = (k + s - 1) / s;
  auto padded = k == m * s ? w : at::constant_pad_nd(w, {0, m * s - k});
  return padded.reshape({cin, cout, m, s}).permute({3, 1, 0, 2}).flip({3}).reshape({s * cout, cin, m}).contiguous();
}

// Re-laying out a large weight costs as much as the convolution itself, so inference reuses it.
// An entry is valid while the weight has the same TensorImpl (held weakly, so its address cannot be
// reused), version counter (bumped by in-place updates such as optimiser steps and loads, and by
// ct_tensor_set_data), data pointer, sizes, dtype and device. An entry for an older version of a
// weight is dropped when the weight is next used.
struct PolyphaseCacheEntry {
  c10::weak_intrusive_ptr<c10::TensorImpl> impl;
  int64_t version;
  const void *data;
  std::vector<int64_t> sizes;
  int64_t stride;
  at::Tensor weight;
};

std::mutex polyphase_mutex;
std::list<PolyphaseCacheEntry> polyphase_cache;  // most recently used first
constexpr size_t polyphase_cache_capacity = 64;

at::Tensor cached_polyphase_weight(const at::Tensor &w, int64_t s) {
  bool cacheable = !(at::GradMode::is_enabled() && w.requires_grad());
  if (!cacheable) return polyphase_weight(w, s);
  const auto version = w._version();
  const void *data = w.data_ptr();
  {
    std::lock_guard<std::mutex> lock(polyphase_mutex);
    for (auto it = polyphase_cache.begin(); it != polyphase_cache.end();) {
      auto strong = it->impl.lock();
      if (!strong) {
        it = polyphase_cache.erase(it);
        continue;
      }
      if (strong.get() == w.unsafeGetTensorImpl() && it->stride == s) {
        if (it->version == version && it->data == data && it->sizes == w.sizes().vec() &&
            it->weight.scalar_type() == w.scalar_type() && it->weight.device() == w.device()) {
          polyphase_cache.splice(polyphase_cache.begin(), polyphase_cache, it);
          return polyphase_cache.front().weight;
        }
        it = polyphase_cache.erase(it);  // superseded by an update of the same weight
        continue;
      }
      ++it;
    }
  }
  at::Tensor relaid;
  {
    at::NoGradGuard no_grad;
    relaid = polyphase_weight(w, s);
  }
  std::lock_guard<std::mutex> lock(polyphase_mutex);
  polyphase_cache.push_front(
      {c10::weak_intrusive_ptr<c10::TensorImpl>(w.getIntrusivePtr()), version, data, w.sizes().vec(), s, relaid});
  if (polyphase_cache.size() > polyphase_cache_capacity) polyphase_cache.pop_back();
  return relaid;
}

// y from x (B, Cin, T) and the phase kernels `packed` (s·Cout, Cin, M) of a kernel-K transposed conv.
at::Tensor conv_transpose1d_from_phases(const at::Tensor &x, const at::Tensor &packed,
                                        const c10::optional<at::Tensor> &bias, int64_t s, int64_t k, int64_t padding,
                                        int64_t output_padding) {
  TORCH_CHECK(x.dim() == 3, "conv_transpose1d: expected a 3-D input (batch, channels, time), got ", x.sizes());
  TORCH_CHECK(s >= 1 && packed.dim() == 3 && packed.size(0) % s == 0,
              "conv_transpose1d from phases: expected (stride·out, in, taps) kernels and a stride ≥ 1, got ",
              packed.sizes(), " and stride ", s);
  TORCH_CHECK(x.size(1) == packed.size(1), "conv_transpose1d: input has ", x.size(1),
              " channels but the weight expects ", packed.size(1), " (input ", x.sizes(), ")");
  TORCH_CHECK(output_padding < s, "conv_transpose1d: output_padding must be smaller than stride");
  int64_t b = x.size(0), t = x.size(2), cout = packed.size(0) / s, m = packed.size(2);
  auto y = at::conv1d(x, packed, {}, 1, m - 1);  // (B, s·Cout, T + M − 1)
  int64_t l = y.size(2);
  y = y.reshape({b, s, cout, l}).permute({0, 2, 3, 1}).reshape({b, cout, l * s});  // y[q·s + r]
  int64_t length = (t - 1) * s - 2 * padding + k + output_padding;
  TORCH_CHECK(length > 0, "conv_transpose1d: output length would be ", length);
  if (padding + length > l * s) y = at::constant_pad_nd(y, {0, padding + length - l * s});
  y = y.narrow(2, padding, length);
  if (bias.has_value() && bias->defined()) y = y + bias->view({1, cout, 1});
  return y;
}

at::Tensor conv_transpose1d_polyphase(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &bias,
                                      int64_t s, int64_t padding, int64_t output_padding) {
  TORCH_CHECK(w.dim() == 3, "conv_transpose1d: expected a 3-D weight (in, out, kernel), got ", w.sizes());
  return conv_transpose1d_from_phases(x, cached_polyphase_weight(w, s), bias, s, w.size(2), padding, output_padding);
}

}  // namespace

extern "C" {

int ct_op_conv1d(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor bias, int64_t stride, int64_t padding,
                 int64_t dilation, int64_t groups) {
  CT_TENSOR_OP(out, at::conv1d(unwrap(x), unwrap(w), ctorch::optional_tensor(bias), stride, padding, dilation,
                               groups))
}

int ct_op_conv2d(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor bias, const int64_t *stride,
                 const int64_t *padding, const int64_t *dilation, int64_t groups) {
  CT_TENSOR_OP(out, at::conv2d(unwrap(x), unwrap(w), ctorch::optional_tensor(bias), ctorch::ints(stride, 2),
                               ctorch::ints(padding, 2), ctorch::ints(dilation, 2), groups))
}

int ct_op_conv_transpose1d(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor bias, int64_t stride,
                           int64_t padding, int64_t output_padding, int64_t groups, int64_t dilation) {
  CT_TENSOR_OP(out, ([&] {
                 const auto &input = unwrap(x);
                 const auto &weight = unwrap(w);
                 if (input.device().is_cpu() && groups == 1 && dilation == 1 && stride >= 1 && padding >= 0 &&
                     output_padding >= 0)
                   return conv_transpose1d_polyphase(input, weight, ctorch::optional_tensor(bias), stride, padding,
                                                     output_padding);
                 return at::conv_transpose1d(input, weight, ctorch::optional_tensor(bias), stride, padding,
                                             output_padding, groups, dilation);
               }()))
}

int ct_op_conv_transpose1d_phases(ct_tensor *out, ct_tensor w, int64_t stride) {
  CT_TENSOR_OP(out, ([&] {
                 const auto &weight = unwrap(w);
                 TORCH_CHECK(weight.dim() == 3, "conv_transpose1d phases: expected a 3-D weight (in, out, kernel), got ",
                             weight.sizes());
                 TORCH_CHECK(stride >= 1, "conv_transpose1d phases: stride must be at least 1");
                 at::NoGradGuard no_grad;
                 return polyphase_weight(weight, stride);
               }()))
}

int ct_op_conv_transpose1d_from_phases(ct_tensor *out, ct_tensor x, ct_tensor phases, ct_tensor bias, int64_t stride,
                                       int64_t kernel, int64_t padding, int64_t output_padding) {
  CT_TENSOR_OP(out, conv_transpose1d_from_phases(unwrap(x), unwrap(phases), ctorch::optional_tensor(bias), stride,
                                                 kernel, padding, output_padding))
}

int ct_op_linear(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor bias) {
  CT_TENSOR_OP(out, at::linear(unwrap(x), unwrap(w), ctorch::optional_tensor(bias)))
}

int ct_op_pad(ct_tensor *out, ct_tensor x, const int64_t *pads, int64_t npads, int mode, double value) {
  CT_TENSOR_OP(out, ([&] {
                 auto p = ctorch::ints(pads, npads);
                 const auto &t = unwrap(x);
                 switch (mode) {
                   case CT_PAD_CONSTANT: return at::constant_pad_nd(t, p, value);
                   case CT_PAD_REFLECT:
                     if (npads == 2) return at::reflection_pad1d(t, p);
                     if (npads == 4) return at::reflection_pad2d(t, p);
                     throw std::invalid_argument("reflect padding takes 2 or 4 pad sizes");
                   case CT_PAD_REPLICATE:
                     if (npads == 2) return at::replication_pad1d(t, p);
                     if (npads == 4) return at::replication_pad2d(t, p);
                     throw std::invalid_argument("replicate padding takes 2 or 4 pad sizes");
                 }
                 throw std::invalid_argument("unknown padding mode " + std::to_string(mode));
               }()))
}

int ct_op_avg_pool1d(ct_tensor *out, ct_tensor x, int64_t kernel, int64_t stride, int64_t padding, int ceil_mode,
                     int count_include_pad) {
  CT_TENSOR_OP(out, at::avg_pool1d(unwrap(x), kernel, stride, padding, ceil_mode != 0, count_include_pad != 0))
}

}  // extern "C"
