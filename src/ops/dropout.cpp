// Counter-based dropout inside a custom autograd function.
#include "distill/ops/dropout.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <mutex>

#include "distill/core/error.h"
#include "distill/kernels/compute_path.h"
#include "distill/kernels/dropout.h"

namespace distill::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Below this many elements a second thread costs more than it saves.
constexpr int64_t kGrainSize = 32768;

uint64_t draw_seed() {
  auto* generator = at::get_generator_or_default<at::CPUGeneratorImpl>(
      c10::nullopt, at::detail::getDefaultCPUGenerator());
  std::lock_guard<std::mutex> lock(generator->mutex_);
  return generator->random64();
}

at::Tensor apply_mask(const kernels::DropoutMask& mask, const at::Tensor& input) {
  const at::Tensor in = input.contiguous();
  at::Tensor out = at::empty_like(in);
  const float* in_data = in.data_ptr<float>();
  float* out_data = out.data_ptr<float>();
  at::parallel_for(0, in.numel(), kGrainSize, [&](int64_t begin, int64_t end) {
    kernels::apply_dropout_f32(mask, static_cast<uint64_t>(begin), end - begin, in_data + begin,
                               out_data + begin);
  });
  return out;
}

class CounterDropout : public torch::autograd::Function<CounterDropout> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, double p) {
    const kernels::DropoutMask mask{draw_seed(), static_cast<float>(p)};
    ctx->saved_data["seed"] = static_cast<int64_t>(mask.seed);
    ctx->saved_data["p"] = p;
    return apply_mask(mask, x);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const kernels::DropoutMask mask{static_cast<uint64_t>(ctx->saved_data["seed"].toInt()),
                                    static_cast<float>(ctx->saved_data["p"].toDouble())};
    return {apply_mask(mask, grad_outputs[0]), at::Tensor()};
  }
};

}  // namespace

at::Tensor counter_dropout(const at::Tensor& x, double p, bool training) {
  DISTILL_CHECK(p >= 0 && p < 1, "dropout probability must be in [0, 1), got ", p);
  if (!training || p == 0) return x;
  if (!x.device().is_cpu() || x.scalar_type() != at::kFloat) return at::dropout(x, p, training);
  return CounterDropout::apply(x, p);
}

at::Tensor dropout(const at::Tensor& x, double p, bool training) {
  if (kernels::compute_path() == kernels::ComputePath::kFast) return counter_dropout(x, p, training);
  return at::dropout(x, p, training);
}

}  // namespace distill::ops
