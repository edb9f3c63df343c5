// Windows, STFT/iSTFT, real FFTs and complex construction.
#include "internal.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

using ctorch::unwrap;

namespace {

// frames (C, T, n), window (n), n a multiple of hop → (C, (T − 1)·hop + n): block k of frame t
// (samples k·hop…) lands in output block t + k, weighted by the window's block k. One multiply-add
// per block over a strided view, in the order k = 0, 1, …: differentiable (training synthesises
// through it), and no padded copies of the frames.
at::Tensor overlap_add(const at::Tensor &f, const at::Tensor &w, int64_t hop) {
  TORCH_CHECK(f.dim() == 3 && w.dim() == 1 && w.size(0) == f.size(2) && hop > 0 && f.size(2) % hop == 0,
              "overlap_add: frames (C, T, n) and window (n) with n a multiple of hop; got ", f.sizes(), ", ",
              w.sizes(), ", hop ", hop);
  const int64_t channels = f.size(0), count = f.size(1), blocks = f.size(2) / hop;
  auto sum = at::zeros({channels, count + blocks - 1, hop}, f.options());
  for (int64_t k = 0; k < blocks; k++)
    sum.narrow(1, k, count).addcmul_(f.narrow(2, k * hop, hop), w.narrow(0, k * hop, hop));
  return sum.reshape({channels, (count + blocks - 1) * hop});
}

}  // namespace

extern "C" {

int ct_op_hann_window(ct_tensor *out, int64_t length, int periodic, int dtype, int device) {
  CT_TENSOR_OP(out, at::hann_window(length, periodic != 0, ctorch::options(dtype, device)))
}

int ct_op_stft(ct_tensor *out, ct_tensor x, int64_t n_fft, int64_t hop, int64_t win_length, ct_tensor window,
               int center, int normalized, int onesided) {
  CT_TENSOR_OP(out, at::stft(unwrap(x), n_fft, hop, win_length, ctorch::optional_tensor(window), center != 0,
                             "reflect", normalized != 0, onesided != 0, /*return_complex=*/true))
}

int ct_op_istft(ct_tensor *out, ct_tensor x, int64_t n_fft, int64_t hop, int64_t win_length, ct_tensor window,
                int center, int normalized, int onesided, int64_t length) {
  CT_TENSOR_OP(out, at::istft(unwrap(x), n_fft, hop, win_length, ctorch::optional_tensor(window), center != 0,
                              normalized != 0, onesided != 0,
                              length < 0 ? c10::optional<int64_t>() : c10::optional<int64_t>(length),
                              /*return_complex=*/false))
}

int ct_op_rfft(ct_tensor *out, ct_tensor x, int64_t n, int64_t dim) {
  CT_TENSOR_OP(out, at::fft_rfft(unwrap(x), n < 0 ? c10::optional<int64_t>() : c10::optional<int64_t>(n), dim))
}

int ct_op_irfft(ct_tensor *out, ct_tensor x, int64_t n, int64_t dim) {
  CT_TENSOR_OP(out, at::fft_irfft(unwrap(x), n < 0 ? c10::optional<int64_t>() : c10::optional<int64_t>(n), dim))
}

int ct_op_polar(ct_tensor *out, ct_tensor magnitude, ct_tensor phase) {
  CT_TENSOR_OP(out, ([&] {
    const auto &m = unwrap(magnitude), &p = unwrap(phase);
    // libtorch 1.13's polar kernel is scalar std::polar (65 ms per minute of stereo frames); the
    // vectorised cos and sin written into the real and imaginary planes take a third of that. Out=
    // forms have no gradient, so training keeps at::polar.
    if ((at::GradMode::is_enabled() && (m.requires_grad() || p.requires_grad())) || m.scalar_type() != p.scalar_type() ||
        !(m.scalar_type() == at::kFloat || m.scalar_type() == at::kDouble))
      return at::polar(m, p);
    auto shape = at::infer_size(m.sizes(), p.sizes());
    auto spectrum = at::empty(shape, m.options().dtype(c10::toComplexType(m.scalar_type())));
    auto planes = at::view_as_real(spectrum);
    auto re = planes.select(-1, 0), im = planes.select(-1, 1);
    at::mul_out(re, m, at::cos(p));
    at::mul_out(im, m, at::sin(p));
    return spectrum;
  }()))
}

int ct_op_overlap_add(ct_tensor *out, ct_tensor frames, ct_tensor window, int64_t hop) {
  CT_TENSOR_OP(out, overlap_add(unwrap(frames), unwrap(window), hop))
}

int ct_op_fast_griffin_lim(ct_tensor *out, ct_tensor magnitude, ct_tensor spectrum, ct_tensor analysis,
                           ct_tensor synthesis, int64_t hop, int64_t iterations, double momentum) {
  CT_TENSOR_OP(out, ([&] {
    const auto mag = unwrap(magnitude).contiguous();
    auto projected = unwrap(spectrum).contiguous();
    const auto &wa = unwrap(analysis), &ws = unwrap(synthesis);
    TORCH_CHECK(mag.dim() == 3 && mag.scalar_type() == at::kFloat && projected.scalar_type() == at::kComplexFloat &&
                    projected.sizes() == mag.sizes(),
                "fast_griffin_lim: magnitude (C, T, bins) float32 and spectrum of the same shape complex64; got ",
                mag.sizes(), " ", mag.scalar_type(), ", ", projected.sizes(), " ", projected.scalar_type());
    const int64_t n = wa.size(0);
    TORCH_CHECK(wa.dim() == 1 && ws.dim() == 1 && ws.size(0) == n && n / 2 + 1 == mag.size(2) && hop > 0 && n % hop == 0,
                "fast_griffin_lim: windows of nFFT = 2·(bins − 1) samples, nFFT a multiple of hop; got ", wa.sizes(), ", ",
                ws.sizes(), ", hop ", hop, ", ", mag.size(2), " bins");
    TORCH_CHECK(iterations >= 0, "fast_griffin_lim: iterations must be ≥ 0, got ", iterations);
    const auto analysisWindow = wa.to(at::kFloat), synthesisWindow = ws.to(at::kFloat);
    auto imposed = at::empty_like(projected);
    const int64_t count = mag.numel();
    // imposed = e·|X|/|e| with e = next + alpha·(next − previous): the momentum step and the projection on
    // the magnitude in one pass (where polar(|X|, angle(e)) took an arctangent, a sine and a cosine).
    auto step = [&](const at::Tensor &next, const at::Tensor &previous, float alpha) {
      const auto *x = next.data_ptr<c10::complex<float>>();
      const auto *p = previous.data_ptr<c10::complex<float>>();
      const auto *m = mag.data_ptr<float>();
      auto *o = imposed.data_ptr<c10::complex<float>>();
      at::parallel_for(0, count, 32768, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; i++) {
          const float re = x[i].real() + alpha * (x[i].real() - p[i].real());
          const float im = x[i].imag() + alpha * (x[i].imag() - p[i].imag());
          const float scale = m[i] / std::max(std::sqrt(re * re + im * im), 1e-12f);
          o[i] = c10::complex<float>(re * scale, im * scale);
        }
      });
    };
    step(projected, projected, 0);
    for (int64_t k = 0; k < iterations; k++) {
      const auto signal = overlap_add(at::fft_irfft(imposed, n, 2), synthesisWindow, hop);  // (C, (T − 1)·hop + n)
      const auto next = at::fft_rfft(signal.unfold(1, n, hop) * analysisWindow, c10::nullopt, 2).contiguous();  // (C, T, bins)
      step(next, projected, static_cast<float>(momentum));
      projected = next;
    }
    return imposed;
  }()))
}

}  // extern "C"
