// Optimiser updates whose state tensors live on the Swift side (so checkpoints can hold them).
#include "internal.h"

using ctorch::unwrap;

extern "C" {

int ct_optim_adam_step(const ct_tensor *params, const ct_tensor *exp_avg, const ct_tensor *exp_avg_sq,
                       int64_t *steps, int64_t n, double lr, double beta1, double beta2, double eps,
                       double weight_decay, int decoupled) {
  CT_PROTECT(
      ctorch::require_output(steps); auto ps = ctorch::tensors(params, n); auto ms = ctorch::tensors(exp_avg, n);
      auto vs = ctorch::tensors(exp_avg_sq, n); at::NoGradGuard guard;
      // The same arithmetic as torch.optim.Adam / AdamW in libtorch 1.13 (single-tensor path).
      for (int64_t i = 0; i < n; i++) {
        auto &p = ps[i];
        auto grad = p.grad();
        if (!grad.defined()) continue;
        const int64_t step = steps[i] + 1;
        const double bias1 = 1.0 - std::pow(beta1, static_cast<double>(step));
        const double bias2 = 1.0 - std::pow(beta2, static_cast<double>(step));
        if (weight_decay != 0) {
          if (decoupled) p.mul_(1.0 - lr * weight_decay);
          else grad = grad.add(p, weight_decay);
        }
        ms[i].mul_(beta1).add_(grad, 1.0 - beta1);
        vs[i].mul_(beta2).addcmul_(grad, grad, 1.0 - beta2);
        auto denom = (vs[i].sqrt() / std::sqrt(bias2)).add_(eps);
        p.addcdiv_(ms[i], denom, -lr / bias1);
        steps[i] = step;
      })
}

int ct_ema_update(const ct_tensor *shadow, const ct_tensor *params, int64_t n, double decay) {
  CT_PROTECT(auto ss = ctorch::tensors(shadow, n); auto ps = ctorch::tensors(params, n); at::NoGradGuard guard;
             for (int64_t i = 0; i < n; i++) ss[i].lerp_(ps[i].detach(), 1.0 - decay))
}

}  // extern "C"
