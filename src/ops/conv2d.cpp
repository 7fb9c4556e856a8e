// oneDNN convolution inside a custom autograd function, on channels-last activations:
//   forward  y  = conv(x, W)
//   backward dx = conv_transpose(dy, W)   (backward-data)
//            dW = correlation of x and dy  (backward-weights)
#include "distill/ops/conv2d.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <vector>

#include "distill/kernels/compute_path.h"
#include "distill/kernels/conv2d.h"

namespace distill::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr auto kChannelsLast = at::MemoryFormat::ChannelsLast;

kernels::Conv2dShape conv_shape(const at::Tensor& x, const at::Tensor& weight, int64_t stride,
                                int64_t padding, int64_t groups) {
  kernels::Conv2dShape s;
  s.batch = x.size(0);
  s.in_channels = x.size(1);
  s.height = x.size(2);
  s.width = x.size(3);
  s.out_channels = weight.size(0);
  s.kernel = weight.size(2);
  s.stride = stride;
  s.padding = padding;
  s.groups = groups;
  return s;
}

class OneDnnConv2d : public torch::autograd::Function<OneDnnConv2d> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            int64_t stride, int64_t padding, int64_t groups) {
    const at::Tensor x_cl = x.contiguous(kChannelsLast), w_c = weight.contiguous();
    const kernels::Conv2dShape s = conv_shape(x_cl, w_c, stride, padding, groups);
    at::Tensor y = at::empty({s.batch, s.out_channels, s.out_height(), s.out_width()},
                             x.options().memory_format(kChannelsLast));
    kernels::onednn_conv2d_forward(s, x_cl.data_ptr<float>(), w_c.data_ptr<float>(),
                                   y.data_ptr<float>());
    ctx->save_for_backward({x_cl, w_c});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["groups"] = groups;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    const kernels::Conv2dShape s =
        conv_shape(x, w, ctx->saved_data["stride"].toInt(), ctx->saved_data["padding"].toInt(),
                   ctx->saved_data["groups"].toInt());
    const at::Tensor dy = grad_outputs[0].contiguous(kChannelsLast);
    variable_list grads(5);
    if (ctx->needs_input_grad(0)) {
      grads[0] = at::empty(x.sizes(), x.options().memory_format(kChannelsLast));
      kernels::onednn_conv2d_backward_data(s, dy.data_ptr<float>(), w.data_ptr<float>(),
                                           grads[0].data_ptr<float>());
    }
    if (ctx->needs_input_grad(1)) {
      grads[1] = at::empty(w.sizes(), w.options());
      kernels::onednn_conv2d_backward_weights(s, x.data_ptr<float>(), dy.data_ptr<float>(),
                                              grads[1].data_ptr<float>());
    }
    return grads;
  }
};

bool convolution_fast_path_applies(const at::Tensor& x, const at::Tensor& weight, int64_t groups) {
  auto is_cpu_float = [](const at::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.layout() == at::kStrided;
  };
  return x.dim() == 4 && weight.dim() == 4 && is_cpu_float(x) && is_cpu_float(weight) &&
         weight.size(2) == weight.size(3) && groups > 0 && x.size(1) == weight.size(1) * groups;
}

}  // namespace

at::Tensor onednn_conv2d(const at::Tensor& x, const at::Tensor& weight, int64_t stride,
                         int64_t padding, int64_t groups) {
  if (!convolution_fast_path_applies(x, weight, groups))
    return at::conv2d(x, weight, {}, {stride, stride}, {padding, padding}, {1, 1}, groups);
  return OneDnnConv2d::apply(x, weight, stride, padding, groups);
}

at::Tensor conv2d(const at::Tensor& x, const at::Tensor& weight, int64_t stride, int64_t padding,
                  int64_t groups) {
  if (kernels::compute_path() == kernels::ComputePath::kFast)
    return onednn_conv2d(x, weight, stride, padding, groups);
  return at::conv2d(x, weight, {}, {stride, stride}, {padding, padding}, {1, 1}, groups);
}

}  // namespace distill::ops
