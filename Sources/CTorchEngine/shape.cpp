// Joining, splitting and re-viewing tensors.
#include "internal.h"

using ctorch::unwrap;

namespace {

void write_all(ct_tensor *outs, const std::vector<at::Tensor> &parts) {
  if (outs == nullptr) throw std::invalid_argument("output array was NULL");
  for (size_t i = 0; i < parts.size(); i++) outs[i] = ctorch::wrap(parts[i]);
}

}  // namespace

extern "C" {

int ct_op_cat(ct_tensor *out, const ct_tensor *ts, int64_t n, int64_t dim) {
  CT_TENSOR_OP(out, at::cat(ctorch::tensors(ts, n), dim))
}

int ct_op_stack(ct_tensor *out, const ct_tensor *ts, int64_t n, int64_t dim) {
  CT_TENSOR_OP(out, at::stack(ctorch::tensors(ts, n), dim))
}

int ct_op_split(ct_tensor *outs, ct_tensor t, const int64_t *sizes, int64_t nsizes, int64_t dim) {
  CT_PROTECT(write_all(outs, unwrap(t).split_with_sizes(ctorch::ints(sizes, nsizes), dim)))
}

int ct_op_chunk(ct_tensor *outs, int64_t *n_out, ct_tensor t, int64_t chunks, int64_t dim) {
  CT_PROTECT(ctorch::require_output(n_out); auto parts = unwrap(t).chunk(chunks, dim); write_all(outs, parts);
             *n_out = static_cast<int64_t>(parts.size()))
}

int ct_op_narrow(ct_tensor *out, ct_tensor t, int64_t dim, int64_t start, int64_t length) {
  CT_TENSOR_OP(out, unwrap(t).narrow(dim, start, length))
}

int ct_op_select(ct_tensor *out, ct_tensor t, int64_t dim, int64_t index) {
  CT_TENSOR_OP(out, unwrap(t).select(dim, index))
}

int ct_op_reshape(ct_tensor *out, ct_tensor t, const int64_t *shape, int64_t ndim) {
  CT_TENSOR_OP(out, unwrap(t).reshape(ctorch::ints(shape, ndim)))
}

int ct_op_permute(ct_tensor *out, ct_tensor t, const int64_t *dims, int64_t ndim) {
  CT_TENSOR_OP(out, unwrap(t).permute(ctorch::ints(dims, ndim)))
}

int ct_op_transpose(ct_tensor *out, ct_tensor t, int64_t dim0, int64_t dim1) {
  CT_TENSOR_OP(out, unwrap(t).transpose(dim0, dim1))
}

int ct_op_expand(ct_tensor *out, ct_tensor t, const int64_t *shape, int64_t ndim) {
  CT_TENSOR_OP(out, unwrap(t).expand(ctorch::ints(shape, ndim)))
}

int ct_op_repeat(ct_tensor *out, ct_tensor t, const int64_t *repeats, int64_t ndim) {
  CT_TENSOR_OP(out, unwrap(t).repeat(ctorch::ints(repeats, ndim)))
}

int ct_op_unsqueeze(ct_tensor *out, ct_tensor t, int64_t dim) { CT_TENSOR_OP(out, unwrap(t).unsqueeze(dim)) }

int ct_op_squeeze(ct_tensor *out, ct_tensor t, int64_t dim) { CT_TENSOR_OP(out, unwrap(t).squeeze(dim)) }

int ct_op_flip(ct_tensor *out, ct_tensor t, const int64_t *dims, int64_t ndims) {
  CT_TENSOR_OP(out, unwrap(t).flip(ctorch::ints(dims, ndims)))
}

int ct_op_index_select(ct_tensor *out, ct_tensor t, int64_t dim, ct_tensor index) {
  CT_TENSOR_OP(out, unwrap(t).index_select(dim, unwrap(index)))
}

}  // extern "C"
