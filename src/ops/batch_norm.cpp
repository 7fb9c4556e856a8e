// Training batch norm (+ ReLU) on oneDNN inside a custom autograd function, channels-last:
//   forward  mean, variance of the batch; y = [relu](γ · (x − mean) / sqrt(variance + ε) + β)
//   backward dx, dγ, dβ from dy (masked by the ReLU's workspace), the saved statistics and x
// and the running averages moved exactly as the module's own forward moves them.
#include "distill/ops/batch_norm.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <vector>

#include "distill/kernels/batch_norm.h"
#include "distill/kernels/compute_path.h"

namespace distill::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

kernels::BatchNormShape batch_norm_shape(const at::Tensor& x, double epsilon, bool relu) {
  kernels::BatchNormShape s;
  s.batch = x.size(0);
  s.channels = x.size(1);
  s.height = x.size(2);
  s.width = x.size(3);
  s.epsilon = static_cast<float>(epsilon);
  s.relu = relu;
  return s;
}

class OneDnnBatchNorm : public torch::autograd::Function<OneDnnBatchNorm> {
 public:
  /// Returns y and the batch's mean and (biased) variance, the last two not differentiable.
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                               const at::Tensor& bias, double epsilon, bool relu) {
    const at::Tensor x_cl = x.contiguous(at::MemoryFormat::ChannelsLast);
    const at::Tensor scale = weight.contiguous(), shift = bias.contiguous();
    const kernels::BatchNormShape s = batch_norm_shape(x_cl, epsilon, relu);
    at::Tensor y =
        at::empty(x_cl.sizes(), x_cl.options().memory_format(at::MemoryFormat::ChannelsLast));
    at::Tensor mean = at::empty({s.channels}, x_cl.options());
    at::Tensor variance = at::empty({s.channels}, x_cl.options());
    at::Tensor workspace =
        at::empty({kernels::onednn_batch_norm_workspace_bytes(s)}, x_cl.options().dtype(at::kByte));
    kernels::onednn_batch_norm_forward(s, x_cl.data_ptr<float>(), scale.data_ptr<float>(),
                                       shift.data_ptr<float>(), y.data_ptr<float>(),
                                       mean.data_ptr<float>(), variance.data_ptr<float>(),
                                       relu ? workspace.data_ptr<uint8_t>() : nullptr);
    ctx->save_for_backward({x_cl, scale, shift, mean, variance, workspace});
    ctx->saved_data["epsilon"] = epsilon;
    ctx->saved_data["relu"] = relu;
    ctx->mark_non_differentiable({mean, variance});
    return {y, mean, variance};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& scale = saved[1];
    const at::Tensor& workspace = saved[5];
    const bool relu = ctx->saved_data["relu"].toBool();
    const kernels::BatchNormShape s =
        batch_norm_shape(x, ctx->saved_data["epsilon"].toDouble(), relu);
    const at::Tensor dy = grad_outputs[0].defined()
                              ? grad_outputs[0].contiguous(at::MemoryFormat::ChannelsLast)
                              : at::zeros_like(x);
    at::Tensor dx = at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::ChannelsLast));
    at::Tensor dscale = at::empty_like(scale), dshift = at::empty_like(scale);
    kernels::onednn_batch_norm_backward(
        s, x.data_ptr<float>(), dy.data_ptr<float>(), scale.data_ptr<float>(),
        saved[2].data_ptr<float>(), saved[3].data_ptr<float>(), saved[4].data_ptr<float>(),
        relu ? workspace.data_ptr<uint8_t>() : nullptr, dx.data_ptr<float>(),
        dscale.data_ptr<float>(), dshift.data_ptr<float>());
    variable_list grads(5);
    if (ctx->needs_input_grad(0)) grads[0] = dx;
    if (ctx->needs_input_grad(1)) grads[1] = dscale;
    if (ctx->needs_input_grad(2)) grads[2] = dshift;
    return grads;
  }
};

bool takes_fast_path(const torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x) {
  auto is_cpu_float = [](const at::Tensor& t) {
    return t.defined() && t.device().is_cpu() && t.scalar_type() == at::kFloat &&
           t.layout() == at::kStrided;
  };
  const auto& o = bn.options;
  return bn.is_training() && o.affine() && o.track_running_stats() && bn.running_mean.defined() &&
         bn.running_var.defined() && x.dim() == 4 && is_cpu_float(x) && is_cpu_float(bn.weight) &&
         is_cpu_float(bn.bias) && x.size(1) == o.num_features() &&
         // libtorch refuses a training batch with one value per channel; its error stands.
         x.size(0) * x.size(2) * x.size(3) > 1;
}

/// Moves the running averages as BatchNormImplBase::forward does: by the momentum, or by
/// 1 / num_batches_tracked without one; the variance unbiased (× n / (n − 1)).
void update_running_statistics(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& mean,
                               const at::Tensor& variance, int64_t rows) {
  at::NoGradGuard no_grad;
  double factor = bn.options.momentum().value_or(0.0);
  if (bn.num_batches_tracked.defined()) {
    bn.num_batches_tracked += 1;
    if (!bn.options.momentum().has_value()) factor = 1.0 / bn.num_batches_tracked.item<double>();
  }
  const double unbiased = static_cast<double>(rows) / static_cast<double>(rows - 1);
  bn.running_mean.mul_(1.0 - factor).add_(mean, factor);
  bn.running_var.mul_(1.0 - factor).add_(variance, factor * unbiased);
}

at::Tensor module_forward(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x,
                          BatchNormActivation activation) {
  at::Tensor y = bn.forward(x);
  return activation == BatchNormActivation::kRelu ? at::relu(y) : y;
}

}  // namespace

at::Tensor onednn_batch_norm(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x,
                             BatchNormActivation activation) {
  if (!takes_fast_path(bn, x)) return module_forward(bn, x, activation);
  const variable_list outputs = OneDnnBatchNorm::apply(x, bn.weight, bn.bias, bn.options.eps(),
                                                       activation == BatchNormActivation::kRelu);
  update_running_statistics(bn, outputs[1], outputs[2], x.size(0) * x.size(2) * x.size(3));
  return outputs[0];
}

at::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x,
                      BatchNormActivation activation) {
  if (kernels::compute_path() == kernels::ComputePath::kFast)
    return onednn_batch_norm(bn, x, activation);
  return module_forward(bn, x, activation);
}

}  // namespace distill::ops
