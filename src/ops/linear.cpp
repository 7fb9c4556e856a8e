// oneDNN linear layer inside a custom autograd function:
//   forward  y  = x·Wᵀ + b      (B×in · in×out)
//   backward dx = dy·W          (B×out · out×in)
//            dW = dyᵀ·x         (out×B · B×in)
//            db = Σ_rows dy
#include "distill/ops/linear.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include "distill/kernels/compute_path.h"
#include "distill/kernels/gemm.h"

namespace distill::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Shared by the two autograd functions below (libtorch 1.13's custom functions cannot take an
/// undefined tensor as an input, so "no bias" is its own function).
at::Tensor linear_forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                          const at::Tensor& bias) {
  const at::Tensor x_c = x.contiguous(), w_c = weight.contiguous();
  const at::Tensor b_c = bias.defined() ? bias.contiguous() : bias;
  const int64_t batch = x_c.size(0), in = x_c.size(1), out = w_c.size(0);
  at::Tensor y = at::empty({batch, out}, x_c.options());
  kernels::onednn_gemm_f32({batch, out, in, false, true}, x_c.data_ptr<float>(),
                           w_c.data_ptr<float>(), b_c.defined() ? b_c.data_ptr<float>() : nullptr,
                           y.data_ptr<float>());
  ctx->save_for_backward({x_c, w_c});
  return y;
}

/// {dx, dW} and, when has_bias, db; each undefined when its input needs no gradient.
variable_list linear_backward(AutogradContext* ctx, const at::Tensor& grad_output, bool has_bias) {
  const variable_list saved = ctx->get_saved_variables();
  const at::Tensor& x = saved[0];
  const at::Tensor& w = saved[1];
  const at::Tensor dy = grad_output.contiguous();
  const int64_t batch = x.size(0), in = x.size(1), out = w.size(0);
  variable_list grads(has_bias ? 3 : 2);
  if (ctx->needs_input_grad(0)) {
    grads[0] = at::empty({batch, in}, x.options());
    kernels::onednn_gemm_f32({batch, in, out, false, false}, dy.data_ptr<float>(),
                             w.data_ptr<float>(), nullptr, grads[0].data_ptr<float>());
  }
  if (ctx->needs_input_grad(1)) {
    grads[1] = at::empty({out, in}, w.options());
    kernels::onednn_gemm_f32({out, in, batch, true, false}, dy.data_ptr<float>(),
                             x.data_ptr<float>(), nullptr, grads[1].data_ptr<float>());
  }
  if (has_bias && ctx->needs_input_grad(2)) grads[2] = dy.sum(0);
  return grads;
}

class OneDnnLinear : public torch::autograd::Function<OneDnnLinear> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias) {
    return linear_forward(ctx, x, weight, bias);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return linear_backward(ctx, grad_outputs[0], /*has_bias=*/true);
  }
};

class OneDnnLinearWithoutBias : public torch::autograd::Function<OneDnnLinearWithoutBias> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight) {
    return linear_forward(ctx, x, weight, at::Tensor());
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return linear_backward(ctx, grad_outputs[0], /*has_bias=*/false);
  }
};

bool linear_fast_path_applies(const at::Tensor& x, const at::Tensor& weight,
                              const at::Tensor& bias) {
  auto is_cpu_float = [](const at::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.layout() == at::kStrided;
  };
  return x.dim() == 2 && weight.dim() == 2 && is_cpu_float(x) && is_cpu_float(weight) &&
         (!bias.defined() || (bias.dim() == 1 && is_cpu_float(bias))) &&
         x.size(1) == weight.size(1) && (!bias.defined() || bias.size(0) == weight.size(0));
}

}  // namespace

at::Tensor onednn_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!linear_fast_path_applies(x, weight, bias)) return at::linear(x, weight, bias);
  if (!bias.defined()) return OneDnnLinearWithoutBias::apply(x, weight);
  return OneDnnLinear::apply(x, weight, bias);
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (kernels::compute_path() == kernels::ComputePath::kFast) return onednn_linear(x, weight, bias);
  return at::linear(x, weight, bias);
}

}  // namespace distill::ops
