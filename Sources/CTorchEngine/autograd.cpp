// Backward passes and torch.autograd.grad (with create_graph, for gradient penalties).
#include <torch/csrc/autograd/autograd.h>

#include "internal.h"

using ctorch::unwrap;

extern "C" {

int ct_autograd_backward(ct_tensor t, ct_tensor grad, int retain_graph, int create_graph) {
  CT_PROTECT(unwrap(t).backward(grad == nullptr ? at::Tensor() : unwrap(grad),
                                retain_graph ? c10::optional<bool>(true) : c10::optional<bool>(create_graph != 0),
                                create_graph != 0))
}

int ct_autograd_grad(ct_tensor *outs, const ct_tensor *outputs, int64_t n_outputs, const ct_tensor *grad_outputs,
                     const ct_tensor *inputs, int64_t n_inputs, int retain_graph, int create_graph,
                     int allow_unused) {
  CT_PROTECT(if (outs == nullptr) throw std::invalid_argument("output array was NULL");
             auto outputs_v = ctorch::tensors(outputs, n_outputs);
             auto inputs_v = ctorch::tensors(inputs, n_inputs);
             std::vector<at::Tensor> grad_outputs_v;
             if (grad_outputs != nullptr) grad_outputs_v = ctorch::tensors(grad_outputs, n_outputs);
             auto grads = torch::autograd::grad(
                 outputs_v, inputs_v, grad_outputs_v,
                 retain_graph ? c10::optional<bool>(true) : c10::optional<bool>(create_graph != 0),
                 create_graph != 0, allow_unused != 0);
             for (size_t i = 0; i < grads.size(); i++) outs[i] = grads[i].defined() ? ctorch::wrap(grads[i]) : nullptr)
}

}  // extern "C"
