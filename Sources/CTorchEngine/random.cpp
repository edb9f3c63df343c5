// Seedable generator objects and the draws made from them. Nothing here touches libtorch's global RNG.
#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
#include <cstdint>

#include "internal.h"

using ctorch::unwrap;

namespace {

// SplitMix64's finaliser: a bijective mix whose outputs pass BigCrush as a counter-based generator.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A uniform double in (0, 1) from the top 53 bits.
inline double unit(uint64_t bits) { return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53; }

at::Generator &gen(ct_generator g) {
  if (g == nullptr) throw std::invalid_argument("a required generator argument was NULL");
  return g->generator;
}

// Draws on the CPU in float32/float64, then converts and moves, so a seed gives the same values
// whatever the target dtype's precision path or device.
at::TensorOptions draw_options(int dtype) {
  auto type = ctorch::scalar_type(dtype);
  return at::TensorOptions().dtype(type == at::kDouble ? at::kDouble : at::kFloat).device(at::kCPU);
}

at::Tensor finish(const at::Tensor &drawn, int dtype, int device) {
  return drawn.to(ctorch::device(device), ctorch::scalar_type(dtype));
}

}  // namespace

extern "C" {

int ct_generator_new(ct_generator *out, uint64_t seed) {
  CT_PROTECT(ctorch::require_output(out); *out = new ct_generator_impl{at::make_generator<at::CPUGeneratorImpl>(seed)})
}

void ct_generator_free(ct_generator g) { delete g; }

int ct_generator_clone(ct_generator *out, ct_generator g) {
  CT_PROTECT(ctorch::require_output(out); *out = new ct_generator_impl{gen(g).clone()})
}

int ct_generator_get_state(ct_tensor *out, ct_generator g) {
  CT_TENSOR_OP(out, ([&] {
                 std::lock_guard<std::mutex> lock(gen(g).mutex());
                 return gen(g).get_state();
               }()))
}

int ct_generator_set_state(ct_generator g, ct_tensor state) {
  CT_PROTECT(auto generator = gen(g); std::lock_guard<std::mutex> lock(generator.mutex());
             generator.set_state(unwrap(state)))
}

int ct_random_normal(ct_tensor *out, ct_generator g, const int64_t *shape, int64_t ndim, double mean, double std,
                     int dtype, int device) {
  CT_TENSOR_OP(out, finish(at::normal(mean, std, ctorch::ints(shape, ndim), gen(g), draw_options(dtype)), dtype,
                           device))
}

int ct_random_uniform(ct_tensor *out, ct_generator g, const int64_t *shape, int64_t ndim, double low, double high,
                      int dtype, int device) {
  CT_TENSOR_OP(out, ([&] {
                 auto t = at::empty(ctorch::ints(shape, ndim), draw_options(dtype));
                 t.uniform_(low, high, gen(g));
                 return finish(t, dtype, device);
               }()))
}

int ct_random_truncated_normal(ct_tensor *out, ct_generator g, const int64_t *shape, int64_t ndim, double bound,
                               int dtype, int device) {
  CT_TENSOR_OP(out, ([&] {
                 if (!(bound > 0)) throw std::invalid_argument("truncation bound must be positive");
                 auto sizes = ctorch::ints(shape, ndim);
                 auto opts = draw_options(dtype);
                 auto x = at::normal(0.0, 1.0, sizes, gen(g), opts);
                 // Redraw the whole tensor and keep new values only where the old ones were out of
                 // bounds: the number of draws is fixed per round, so results stay reproducible.
                 for (int round = 0; round < 1000; round++) {
                   auto outside = x.abs() > bound;
                   if (!outside.any().item<bool>()) break;
                   x = at::where(outside, at::normal(0.0, 1.0, sizes, gen(g), opts), x);
                 }
                 return finish(x.clamp(-bound, bound), dtype, device);
               }()))
}

int ct_random_int(ct_tensor *out, ct_generator g, int64_t low, int64_t high, const int64_t *shape, int64_t ndim,
                  int device) {
  CT_TENSOR_OP(out, at::randint(low, high, ctorch::ints(shape, ndim), gen(g), at::TensorOptions().dtype(at::kLong))
                        .to(ctorch::device(device)))
}

int ct_random_permutation(ct_tensor *out, ct_generator g, int64_t n, int device) {
  CT_TENSOR_OP(out, at::randperm(n, gen(g), at::TensorOptions().dtype(at::kLong)).to(ctorch::device(device)))
}

int ct_random_positional_normal(ct_tensor *out, uint64_t seed, int64_t batch, int64_t start, int64_t length,
                                int64_t period) {
  CT_TENSOR_OP(out, ([&] {
    if (batch < 0 || length < 0) throw std::invalid_argument("positional noise needs batch, length ≥ 0");
    at::Tensor result = at::empty({batch, 1, length}, at::kFloat);
    float *data = result.data_ptr<float>();
    const double two_pi = 6.283185307179586476925286766559;
    for (int64_t b = 0; b < batch; b++) {
      const uint64_t row = mix64(seed ^ mix64(0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(b + 1)));
      for (int64_t i = 0; i < length; i++) {
        int64_t p = start + i;
        if (period > 0) p = ((p % period) + period) % period;
        // Box–Muller on two independent 64-bit hashes of (row, p), in unsigned (wrapping) arithmetic.
        const uint64_t u = 2 * static_cast<uint64_t>(p);
        const uint64_t h1 = mix64(row + 0x9E3779B97F4A7C15ULL * u);
        const uint64_t h2 = mix64(row + 0x9E3779B97F4A7C15ULL * (u + 1));
        data[b * length + i] = static_cast<float>(std::sqrt(-2.0 * std::log(unit(h1))) * std::cos(two_pi * unit(h2)));
      }
    }
    return result;
  }()))
}

int ct_random_normal_(ct_tensor t, ct_generator g, double mean, double std) {
  CT_PROTECT(at::NoGradGuard guard; auto x = unwrap(t);
             auto drawn = at::normal(mean, std, x.sizes(), gen(g), draw_options(ctorch::dtype_code(x.scalar_type())));
             x.copy_(drawn))
}

int ct_random_uniform_(ct_tensor t, ct_generator g, double low, double high) {
  CT_PROTECT(at::NoGradGuard guard; auto x = unwrap(t);
             auto drawn = at::empty(x.sizes(), draw_options(ctorch::dtype_code(x.scalar_type())));
             drawn.uniform_(low, high, gen(g)); x.copy_(drawn))
}

}  // extern "C"
