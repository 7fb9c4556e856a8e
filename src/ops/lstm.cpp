// An LSTM direction through time: the input's products for every position as one GEMM, then per
// step one product with W_hh and the fused cell kernel; backwards, per step the cell's gradient
// kernel and one product with W_hh, then the weights' and the input's gradients as one GEMM
// each over every position. The steps run on runs of the batch's rows, one per thread; every
// product is oneDNN's (kernels/gemm.h), inside a run on that run's thread alone.
#include "distill/ops/lstm.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstring>
#include <vector>

#include "distill/core/error.h"
#include "distill/kernels/gemm.h"
#include "distill/kernels/lstm_cell.h"

namespace distill::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Texts are independent through the recurrence: the batch is split into runs of at least this
/// many rows, each running every step on one thread (a step's products over fewer rows cost more
/// than they share).
constexpr int64_t kMinRowsPerThread = 8;

/// y (m×n) = a (m×k) · bᵀ (b stored n×k) [+ bias], on oneDNN.
void multiply_transposed(const float* a, const float* b, const float* bias, int64_t m, int64_t n,
                         int64_t k, float* y) {
  kernels::GemmShape shape;
  shape.m = m;
  shape.n = n;
  shape.k = k;
  shape.transpose_b = true;
  kernels::onednn_gemm_f32(shape, a, b, bias, y);
}

/// What a forward pass keeps for the backward one: the cell after each step (B, L, H) and the
/// cell kernel's activations (B, L, 5H).
struct ForBackward {
  at::Tensor cells, saved;
};

/// The hidden states (B, L, H); `kept` (null for inference, which then allocates neither) gets
/// what the backward pass reads. x, w_ih, w_hh, bias contiguous.
at::Tensor forward_states(const at::Tensor& x, const at::Tensor& w_ih, const at::Tensor& w_hh,
                          const at::Tensor& bias, ForBackward* kept) {
  const int64_t batch = x.size(0), length = x.size(1), units = w_hh.size(1);
  const int64_t gates = 4 * units;
  // W_ih·x_t + both biases at every position, one product: (B, L, 4H).
  at::Tensor projected = at::empty({batch, length, gates}, x.options());
  multiply_transposed(x.data_ptr<float>(), w_ih.data_ptr<float>(), bias.data_ptr<float>(),
                      batch * length, gates, x.size(2), projected.data_ptr<float>());
  at::Tensor hidden = at::empty({batch, length, units}, x.options());
  float* c_all = nullptr;
  float* s = nullptr;
  if (kept != nullptr) {
    kept->cells = at::empty({batch, length, units}, x.options());
    kept->saved = at::empty({batch, length, 5 * units}, x.options());
    c_all = kept->cells.data_ptr<float>();
    s = kept->saved.data_ptr<float>();
  }
  const float* p = projected.data_ptr<float>();
  const float* w = w_hh.data_ptr<float>();
  float* h_all = hidden.data_ptr<float>();
  at::parallel_for(0, batch, kMinRowsPerThread, [&](int64_t begin, int64_t end) {
    const int64_t rows = end - begin;
    std::vector<float> h(static_cast<size_t>(rows * units), 0.0f);
    std::vector<float> c(static_cast<size_t>(rows * units), 0.0f);
    std::vector<float> recurrent(static_cast<size_t>(rows * gates), 0.0f);
    for (int64_t t = 0; t < length; ++t) {
      // h_{t−1}·W_hhᵀ; the states are zero before the first step.
      if (t > 0) multiply_transposed(h.data(), w, nullptr, rows, gates, units, recurrent.data());
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t at_step = (begin + r) * length + t;
        float* h_row = h.data() + r * units;
        float* c_row = c.data() + r * units;
        kernels::lstm_cell_update(p + at_step * gates, recurrent.data() + r * gates, units, h_row,
                                  c_row, s != nullptr ? s + at_step * 5 * units : nullptr);
        std::memcpy(h_all + at_step * units, h_row, static_cast<size_t>(units) * sizeof(float));
        if (c_all != nullptr)
          std::memcpy(c_all + at_step * units, c_row, static_cast<size_t>(units) * sizeof(float));
      }
    }
  });
  return hidden;
}

class LstmDirection : public torch::autograd::Function<LstmDirection> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input,
                            const at::Tensor& weight_ih, const at::Tensor& weight_hh,
                            const at::Tensor& bias_ih, const at::Tensor& bias_hh) {
    const at::Tensor x = input.contiguous(), w_ih = weight_ih.contiguous();
    const at::Tensor w_hh = weight_hh.contiguous();
    ForBackward kept;
    const at::Tensor hidden =
        forward_states(x, w_ih, w_hh, (bias_ih + bias_hh).contiguous(), &kept);
    const at::Tensor &cells = kept.cells, &saved = kept.saved;
    ctx->save_for_backward({x, w_ih, w_hh, hidden, cells, saved});
    return hidden;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list stored = ctx->get_saved_variables();
    const at::Tensor &x = stored[0], &w_ih = stored[1], &w_hh = stored[2];
    const at::Tensor &hidden = stored[3], &cells = stored[4], &saved = stored[5];
    const at::Tensor grad_hidden =
        grad_outputs[0].defined() ? grad_outputs[0].contiguous() : at::zeros_like(hidden);
    const int64_t batch = x.size(0), length = x.size(1), inputs = x.size(2);
    const int64_t units = w_hh.size(1), gates = 4 * units;
    at::Tensor gate_gradients = at::empty({batch, length, gates}, x.options());
    const float* gh = grad_hidden.data_ptr<float>();
    const float* c_all = cells.data_ptr<float>();
    const float* s = saved.data_ptr<float>();
    const float* w = w_hh.data_ptr<float>();
    float* dg_all = gate_gradients.data_ptr<float>();
    at::parallel_for(0, batch, kMinRowsPerThread, [&](int64_t begin, int64_t end) {
      const int64_t rows = end - begin;
      std::vector<float> dh(static_cast<size_t>(rows * units));
      std::vector<float> dh_later(static_cast<size_t>(rows * units), 0.0f);  // via W_hh, step t+1
      std::vector<float> dc(static_cast<size_t>(rows * units), 0.0f);
      std::vector<float> dg(static_cast<size_t>(rows * gates));
      kernels::GemmShape through_w_hh;  // dh_later (rows×H) = dg (rows×4H) · W_hh (4H×H)
      through_w_hh.m = rows;
      through_w_hh.n = units;
      through_w_hh.k = gates;
      for (int64_t t = length - 1; t >= 0; --t) {
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t at_step = (begin + r) * length + t;
          for (int64_t u = 0; u < units; ++u)
            dh[r * units + u] = gh[at_step * units + u] + dh_later[r * units + u];
          kernels::lstm_cell_backward(
              s + at_step * 5 * units, t > 0 ? c_all + (at_step - 1) * units : nullptr,
              dh.data() + r * units, units, dc.data() + r * units, dg.data() + r * gates);
          std::memcpy(dg_all + at_step * gates, dg.data() + r * gates,
                      static_cast<size_t>(gates) * sizeof(float));
        }
        if (t > 0) kernels::onednn_gemm_f32(through_w_hh, dg.data(), w, nullptr, dh_later.data());
      }
    });
    // Every position's gate gradients at once: x's gradient, W_ih's, and W_hh's against the
    // states before each step (zero before the first).
    const int64_t positions = batch * length;
    at::Tensor before = at::zeros_like(hidden);
    if (length > 1) before.narrow(1, 1, length - 1).copy_(hidden.narrow(1, 0, length - 1));
    at::Tensor grad_x = at::empty_like(x), grad_w_ih = at::empty_like(w_ih);
    at::Tensor grad_w_hh = at::empty_like(w_hh);
    kernels::GemmShape shape;  // grad_x (B·L×I) = dG (B·L×4H) · W_ih (4H×I)
    shape.m = positions;
    shape.n = inputs;
    shape.k = gates;
    kernels::onednn_gemm_f32(shape, dg_all, w_ih.data_ptr<float>(), nullptr,
                             grad_x.data_ptr<float>());
    shape = kernels::GemmShape();  // grad W (4H×·) = dGᵀ (4H×B·L) · (B·L×·)
    shape.m = gates;
    shape.k = positions;
    shape.transpose_a = true;
    shape.n = inputs;
    kernels::onednn_gemm_f32(shape, dg_all, x.data_ptr<float>(), nullptr,
                             grad_w_ih.data_ptr<float>());
    shape.n = units;
    kernels::onednn_gemm_f32(shape, dg_all, before.data_ptr<float>(), nullptr,
                             grad_w_hh.data_ptr<float>());
    const at::Tensor grad_bias = gate_gradients.view({positions, gates}).sum(0);
    return {grad_x, grad_w_ih, grad_w_hh, grad_bias, grad_bias};
  }
};

}  // namespace

at::Tensor lstm(const at::Tensor& x, const at::Tensor& weight_ih, const at::Tensor& weight_hh,
                const at::Tensor& bias_ih, const at::Tensor& bias_hh) {
  DISTILL_CHECK(x.dim() == 3, "an LSTM's input must be (batch, length, features), got ", x.sizes());
  const int64_t units = weight_hh.size(1);
  DISTILL_CHECK(weight_ih.dim() == 2 && weight_ih.size(0) == 4 * units &&
                    weight_ih.size(1) == x.size(2) && weight_hh.size(0) == 4 * units &&
                    bias_ih.numel() == 4 * units && bias_hh.numel() == 4 * units,
                "LSTM parameters do not fit: input ", x.sizes(), ", weight_ih ", weight_ih.sizes(),
                ", weight_hh ", weight_hh.sizes(), ", biases ", bias_ih.sizes(), " and ",
                bias_hh.sizes());
  DISTILL_CHECK(x.device().is_cpu() && x.scalar_type() == at::kFloat,
                "the fused LSTM runs on CPU float tensors, got ", x.toString());
  if (x.size(0) == 0 || x.size(1) == 0)
    return at::zeros({x.size(0), x.size(1), units}, x.options());
  const bool needs_gradient =
      at::GradMode::is_enabled() &&
      (x.requires_grad() || weight_ih.requires_grad() || weight_hh.requires_grad() ||
       bias_ih.requires_grad() || bias_hh.requires_grad());
  if (!needs_gradient)  // inference: no autograd node, nothing kept for a backward pass
    return forward_states(x.contiguous(), weight_ih.contiguous(), weight_hh.contiguous(),
                          (bias_ih + bias_hh).contiguous(), nullptr);
  return LstmDirection::apply(x, weight_ih, weight_hh, bias_ih, bias_hh);
}

}  // namespace distill::ops
