// Elementwise math, comparisons, matmul and reductions.
#include <cmath>

#include "internal.h"

using ctorch::unwrap;

namespace {

at::Tensor unary(int op, const at::Tensor &x) {
  switch (op) {
    case CT_NEG: return x.neg();
    case CT_ABS: return x.abs();
    case CT_SQRT: return x.sqrt();
    case CT_RSQRT: return x.rsqrt();
    case CT_EXP: return x.exp();
    case CT_LOG: return x.log();
    case CT_LOG10: return x.log10();
    case CT_LOG1P: return x.log1p();
    case CT_SIN: return x.sin();
    case CT_COS: return x.cos();
    case CT_TANH: return x.tanh();
    case CT_SIGMOID: return x.sigmoid();
    case CT_SILU: return at::silu(x);
    case CT_RELU: return x.relu();
    case CT_FLOOR: return x.floor();
    case CT_CEIL: return x.ceil();
    case CT_ROUND: return x.round();
    case CT_SIGN: return x.sign();
    case CT_SQUARE: return x.square();
    case CT_RECIPROCAL: return x.reciprocal();
    case CT_LOGICAL_NOT: return x.logical_not();
    case CT_ISNAN: return x.isnan();
    case CT_ISFINITE: return x.isfinite();
    case CT_ANGLE: return x.angle();
    case CT_REAL: return at::real(x);
    case CT_IMAG: return at::imag(x);
  }
  throw std::invalid_argument("unknown unary op code " + std::to_string(op));
}

template <typename B>
at::Tensor binary(int op, const at::Tensor &a, const B &b) {
  switch (op) {
    case CT_ADD: return at::add(a, b);
    case CT_SUB: return at::sub(a, b);
    case CT_MUL: return at::mul(a, b);
    case CT_DIV: return at::div(a, b);
    case CT_POW: return at::pow(a, b);
    case CT_REMAINDER: return at::remainder(a, b);
    case CT_EQ: return at::eq(a, b);
    case CT_NE: return at::ne(a, b);
    case CT_LT: return at::lt(a, b);
    case CT_LE: return at::le(a, b);
    case CT_GT: return at::gt(a, b);
    case CT_GE: return at::ge(a, b);
    default: break;
  }
  throw std::invalid_argument("unknown binary op code " + std::to_string(op));
}

at::Tensor binary_tensors(int op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case CT_MAXIMUM: return at::maximum(a, b);
    case CT_MINIMUM: return at::minimum(a, b);
    case CT_LOGICAL_AND: return at::logical_and(a, b);
    case CT_LOGICAL_OR: return at::logical_or(a, b);
    case CT_ATAN2: return at::atan2(a, b);
    default: return binary(op, a, b);
  }
}

at::Tensor binary_scalar(int op, const at::Tensor &a, double s) {
  switch (op) {
    case CT_MAXIMUM: return at::clamp_min(a, s);
    case CT_MINIMUM: return at::clamp_max(a, s);
    case CT_LOGICAL_AND:
    case CT_LOGICAL_OR:
    case CT_ATAN2: {
      // A wrapped number takes part in type promotion like a Python scalar: 0.5 stays 0.5 for an
      // integer tensor instead of being cast to its dtype.
      auto scalar = c10::scalar_to_tensor(at::Scalar(s), a.device());
      scalar.unsafeGetTensorImpl()->set_wrapped_number(true);
      return binary_tensors(op, a, scalar);
    }
    default: {
      // Swift passes every scalar as a double. An integral value against an integer tensor acts like
      // a Python int (int64 + 1 stays int64); anything else like a Python float.
      bool integral = !at::isFloatingType(a.scalar_type()) && !at::isComplexType(a.scalar_type()) &&
                      a.scalar_type() != at::kBool && std::floor(s) == s && std::fabs(s) < 9.007199254740992e15;
      return binary(op, a, integral ? at::Scalar(static_cast<int64_t>(s)) : at::Scalar(s));
    }
  }
}

}  // namespace

extern "C" {

int ct_op_unary(ct_tensor *out, int op, ct_tensor t) { CT_TENSOR_OP(out, unary(op, unwrap(t))) }

int ct_op_binary(ct_tensor *out, int op, ct_tensor a, ct_tensor b) {
  CT_TENSOR_OP(out, binary_tensors(op, unwrap(a), unwrap(b)))
}

int ct_op_binary_scalar(ct_tensor *out, int op, ct_tensor a, double s) {
  CT_TENSOR_OP(out, binary_scalar(op, unwrap(a), s))
}

namespace {
void require_inference(const char *op) {
  if (at::GradMode::is_enabled())
    throw std::logic_error(std::string(op) + " works in place and is for inference: call it with grad mode off");
}
}  // namespace

int ct_op_add_scaled_silu_(ct_tensor t, ct_tensor strength, ct_tensor noise) {
  CT_PROTECT(require_inference("add_scaled_silu_"); auto x = unwrap(t);
             if (!ctorch::add_scaled_silu_fused(x, unwrap(strength), unwrap(noise))) {
               x.addcmul_(unwrap(strength), unwrap(noise));
               at::silu_(x);
             })
}

int ct_op_add_(ct_tensor a, ct_tensor b) {
  CT_PROTECT(require_inference("add_"); auto x = unwrap(a); x.add_(unwrap(b)))
}

int ct_op_where(ct_tensor *out, ct_tensor condition, ct_tensor a, ct_tensor b) {
  CT_TENSOR_OP(out, at::where(unwrap(condition), unwrap(a), unwrap(b)))
}

int ct_op_clamp(ct_tensor *out, ct_tensor t, double low, double high, int has_low, int has_high) {
  CT_TENSOR_OP(out, at::clamp(unwrap(t), has_low ? c10::optional<at::Scalar>(low) : c10::nullopt,
                              has_high ? c10::optional<at::Scalar>(high) : c10::nullopt))
}

int ct_op_leaky_relu(ct_tensor *out, ct_tensor t, double slope) {
  CT_TENSOR_OP(out, at::leaky_relu(unwrap(t), slope))
}

int ct_op_matmul(ct_tensor *out, ct_tensor a, ct_tensor b) { CT_TENSOR_OP(out, at::matmul(unwrap(a), unwrap(b))) }

int ct_op_reduce(ct_tensor *out, int op, ct_tensor t, const int64_t *dims, int64_t ndims, int keepdim) {
  CT_TENSOR_OP(out, ([&] {
                 const auto &x = unwrap(t);
                 auto d = ctorch::ints(dims, ndims);
                 bool keep = keepdim != 0;
                 switch (op) {
                   case CT_SUM: return x.sum(d, keep);  // an empty list reduces over every dimension
                   case CT_MEAN: return x.mean(d, keep);
                   case CT_AMAX: return x.amax(d, keep);
                   case CT_AMIN: return x.amin(d, keep);
                   case CT_PROD:
                     if (ndims == 0) {
                       auto all = x.prod();
                       return keep ? all.reshape(std::vector<int64_t>(x.dim(), 1)) : all;
                     }
                     if (ndims == 1) return x.prod(d[0], keep);
                     throw std::invalid_argument("prod reduces over one dimension or all of them");
                 }
                 throw std::invalid_argument("unknown reduction code " + std::to_string(op));
               }()))
}

int ct_op_var_std(ct_tensor *out, int is_std, ct_tensor t, const int64_t *dims, int64_t ndims, int64_t correction,
                  int keepdim) {
  CT_TENSOR_OP(out, ([&] {
                 const auto &x = unwrap(t);
                 at::OptionalIntArrayRef d = ndims == 0 ? at::OptionalIntArrayRef() : ctorch::ints(dims, ndims);
                 return is_std ? at::std(x, d, correction, keepdim != 0) : at::var(x, d, correction, keepdim != 0);
               }()))
}

int ct_op_argmax(ct_tensor *out, ct_tensor t, int64_t dim, int keepdim) {
  CT_TENSOR_OP(out, at::argmax(unwrap(t), dim, keepdim != 0))
}

int ct_op_cumsum(ct_tensor *out, ct_tensor t, int64_t dim) {
  CT_TENSOR_OP(out, at::cumsum(unwrap(t), dim))
}

}  // extern "C"
