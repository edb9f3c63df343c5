// Windows, STFT/iSTFT, real FFTs and complex construction.
#include "internal.h"

using ctorch::unwrap;

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
  CT_TENSOR_OP(out, at::polar(unwrap(magnitude), unwrap(phase)))
}

}  // extern "C"
