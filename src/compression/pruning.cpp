// Magnitude and neuron pruning.
#include "distill/compression/pruning.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <cmath>

#include "distill/core/error.h"

namespace distill::compression {

double gradual_sparsity(double target, int64_t start_epoch, int64_t end_epoch, int64_t epoch) {
  DISTILL_CHECK(target >= 0 && target < 1, "target sparsity = ", target,
                ": expected a fraction in [0, 1)");
  DISTILL_CHECK(start_epoch >= 0 && end_epoch >= start_epoch, "pruning schedule from epoch ",
                start_epoch, " to ", end_epoch, ": expected 0 <= start <= end");
  if (epoch < start_epoch) return 0;
  if (epoch >= end_epoch) return target;
  const double done = static_cast<double>(epoch - start_epoch) /
                      static_cast<double>(end_epoch - start_epoch);
  return target * (1 - std::pow(1 - done, 3));
}

MagnitudePruner::MagnitudePruner(models::Classifier& model) {
  for (const auto& p : model.named_parameters(/*recurse=*/true)) {
    // Weight matrices (linear) and kernels (convolution); not biases or batch-norm scales.
    if (p.value().dim() < 2) continue;
    weights_.push_back(p.value());
    masks_.push_back(at::ones_like(p.value(), at::kBool));
    total_ += p.value().numel();
  }
  DISTILL_CHECK(total_ > 0, "the model has no weight matrices or kernels to prune");
}

void MagnitudePruner::set_sparsity(double sparsity) {
  DISTILL_CHECK(sparsity >= 0 && sparsity < 1, "sparsity = ", sparsity,
                ": expected a fraction in [0, 1)");
  const auto to_prune = static_cast<int64_t>(std::floor(sparsity * static_cast<double>(total_)));
  if (to_prune == 0) {
    for (at::Tensor& m : masks_) m.fill_(true);
    return;
  }
  std::vector<at::Tensor> magnitudes;
  for (const at::Tensor& w : weights_) magnitudes.push_back(w.detach().abs().reshape({-1}));
  // The to_prune-th smallest magnitude over all layers; ties at it are broken by position, so
  // exactly to_prune weights go (the order of a stable sort over the concatenation).
  const at::Tensor all = at::cat(magnitudes);
  const at::Tensor order = std::get<1>(all.sort(/*stable=*/true, 0, /*descending=*/false));
  at::Tensor keep = at::ones({total_}, at::kBool);
  keep.index_fill_(0, order.slice(0, 0, to_prune), false);
  int64_t offset = 0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    const int64_t n = weights_[i].numel();
    masks_[i] = keep.slice(0, offset, offset + n).view(weights_[i].sizes()).clone();
    offset += n;
  }
  apply();
}

void MagnitudePruner::apply() const {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < weights_.size(); ++i) weights_[i].mul_(masks_[i]);
}

double MagnitudePruner::measured_sparsity() const {
  int64_t zeros = 0;
  for (const at::Tensor& w : weights_) zeros += w.eq(0).sum().item<int64_t>();
  return static_cast<double>(zeros) / static_cast<double>(total_);
}

models::ClassifierPtr prune_mlp_neurons(models::Classifier& mlp, double keep_fraction) {
  const models::ModelSpec& spec = mlp.spec();
  DISTILL_CHECK_HINT(spec.kind == models::ModelKind::kMlp,
                     "use magnitude pruning (prune.kind: magnitude) for this model",
                     "neuron pruning removes hidden units of an MLP; this model is ",
                     models::describe_model_spec(spec));
  DISTILL_CHECK(keep_fraction > 0 && keep_fraction <= 1, "keep_fraction = ", keep_fraction,
                ": expected a fraction in (0, 1]");
  const std::vector<at::Tensor> params = mlp.parameters();  // W1, b1, W2, b2, ... in order
  DISTILL_CHECK(params.size() == 2 * (spec.hidden.size() + 1), "unexpected MLP layout: ",
                params.size(), " parameters for ", spec.hidden.size() + 1, " layers");

  // Neurons kept per hidden layer: largest L2 norm of their incoming weights, in index order.
  std::vector<at::Tensor> kept;
  models::ModelSpec smaller = spec;
  for (size_t l = 0; l < spec.hidden.size(); ++l) {
    const at::Tensor& w = params[2 * l];
    const int64_t count = std::max<int64_t>(
        1, static_cast<int64_t>(std::llround(keep_fraction * static_cast<double>(w.size(0)))));
    const at::Tensor norms = w.detach().norm(2, 1);
    kept.push_back(std::get<0>(std::get<1>(norms.topk(count)).sort()));
    smaller.hidden[l] = count;
  }
  models::ClassifierPtr pruned = models::build_classifier(smaller, 0);
  const std::vector<at::Tensor> target = pruned->parameters();
  torch::NoGradGuard no_grad;
  for (size_t l = 0; l <= spec.hidden.size(); ++l) {
    at::Tensor w = params[2 * l].detach(), b = params[2 * l + 1].detach();
    if (l < spec.hidden.size()) {  // this layer's outputs shrink
      w = w.index_select(0, kept[l]);
      b = b.index_select(0, kept[l]);
    }
    if (l > 0) w = w.index_select(1, kept[l - 1]);  // its inputs shrank
    target[2 * l].copy_(w);
    target[2 * l + 1].copy_(b);
  }
  return pruned;
}

}  // namespace distill::compression
