// The masked-token pretraining loop.
#include "distill/distillation/masked_token_pretraining.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/nn/utils/clip_grad.h>

#include <chrono>
#include <cmath>

#include "distill/core/error.h"
#include "distill/core/progress_bar.h"
#include "distill/core/random.h"
#include "distill/data/batching.h"
#include "distill/text/tokenizer_options.h"

namespace distill::distillation {
namespace {

// Random streams (see core/random.h).
constexpr uint64_t kMaskStream = 8'000'000;
constexpr uint64_t kOrderStream = 8'100'000;
constexpr uint64_t kDropoutStream = 8'200'000;

}  // namespace

void validate_masked_token_options(const MaskedTokenOptions& o, const std::string& where) {
  DISTILL_CHECK(o.epochs >= 0 && o.epochs <= 1000, where, ".epochs = ", o.epochs,
                ": expected a value in [0, 1000]");
  DISTILL_CHECK(o.batch_size >= 1, where, ".batch_size = ", o.batch_size, ": expected >= 1");
  DISTILL_CHECK(o.mask_probability > 0 && o.mask_probability < 1, where, ".mask_probability = ",
                o.mask_probability, ": expected a value in (0, 1)");
  DISTILL_CHECK(o.optimizer.learning_rate > 0, where, ".lr = ", o.optimizer.learning_rate,
                ": expected > 0");
  DISTILL_CHECK(o.max_gradient_norm >= 0, where, ".max_gradient_norm = ", o.max_gradient_norm,
                ": expected >= 0 (0: off)");
}

MaskedBatch mask_tokens(const at::Tensor& ids, int64_t vocab_size, double mask_probability,
                        uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor text = (ids >= text::kFirstPieceId) | (ids == text::kUnknownTokenId);
  const at::Tensor draw = at::rand(ids.sizes(), generator);
  const at::Tensor chosen = text & (draw < mask_probability);
  // Among the chosen: 80 % <mask>, 10 % a random piece, 10 % unchanged (a second draw).
  const at::Tensor how = at::rand(ids.sizes(), generator);
  const at::Tensor random_ids = at::randint(text::kFirstPieceId, vocab_size, ids.sizes(), generator,
                                            at::TensorOptions().dtype(at::kLong));
  at::Tensor inputs = at::where(chosen & (how < 0.8), at::full_like(ids, text::kMaskTokenId), ids);
  inputs = at::where(chosen & (how >= 0.8) & (how < 0.9), random_ids, inputs);
  const at::Tensor targets = at::where(chosen, ids, at::full_like(ids, -100));
  return {inputs, targets};
}

PretrainingSummary pretrain_masked_tokens(models::TextTransformer& model, const data::Dataset& texts,
                                          const MaskedTokenOptions& options, uint64_t seed,
                                          bool show_progress, const std::string& label) {
  validate_masked_token_options(options, label + ".pretrain");
  DISTILL_CHECK(texts.has_token_ids(), label, ": masked-token pretraining needs token ids (text)");
  PretrainingSummary summary;
  if (options.epochs == 0) return summary;
  const int64_t vocab = model.spec().vocab_size;
  auto optimizer = make_optimizer(model.parameters(), options.optimizer);
  // The optimizer's zero_grad without zeroing the tied embedding table's gradient in place.
  GradientReset gradients(model.parameters());
  const int64_t batches = data::batch_count(texts.size(), options.batch_size);
  const int64_t total = batches * options.epochs;
  ScheduleOptions schedule;
  schedule.kind = ScheduleKind::kCosine;
  const auto start = std::chrono::steady_clock::now();
  model.train();
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    seed_default_generator(derive_seed(seed, kDropoutStream + static_cast<uint64_t>(epoch)));
    const at::Tensor order = data::epoch_order(texts.size(), derive_seed(seed, kOrderStream), epoch, true);
    ProgressBar bar(fmt::format("{} pretraining {}/{}", label, epoch + 1, options.epochs), batches,
                    show_progress);
    double loss_sum = 0, correct = 0, positions = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t step = epoch * batches + b;
      // Warm-up over the first tenth of the first epoch, then the cosine decay.
      const double warm = std::min(1.0, static_cast<double>(step + 1) / std::max<double>(1.0, batches / 10.0));
      set_learning_rate(*optimizer, warm * scheduled_learning_rate(schedule, options.optimizer.learning_rate,
                                                                   step, batches, total));
      const at::Tensor ids = data::gather_batch(texts, order, b, options.batch_size).inputs;
      const MaskedBatch masked = mask_tokens(ids, vocab, options.mask_probability,
                                             derive_seed(seed, kMaskStream + static_cast<uint64_t>(step)));
      const at::Tensor chosen = masked.targets.ne(-100);
      const int64_t count = chosen.sum().item<int64_t>();
      if (count == 0) continue;
      const at::Tensor picked = model.token_logits_at(masked.inputs, chosen);
      const at::Tensor targets = masked.targets.index({chosen});
      const at::Tensor loss = at::cross_entropy_loss(picked, targets);
      const double value = loss.item<double>();
      DISTILL_CHECK_HINT(std::isfinite(value), "lower " + label + ".pretrain.lr", label,
                         " pretraining diverged: the loss is ", value, " at epoch ", epoch + 1,
                         ", batch ", b + 1);
      gradients.release();
      loss.backward();
      gradients.fill_unreached();
      if (options.max_gradient_norm > 0)
        torch::nn::utils::clip_grad_norm_(model.parameters(), options.max_gradient_norm);
      optimizer->step();
      loss_sum += value * static_cast<double>(count);
      correct += picked.argmax(1).eq(targets).sum().item<double>();
      positions += static_cast<double>(count);
      bar.update(b + 1, fmt::format("loss {:.3f}", loss_sum / positions));
    }
    summary.epoch_loss.push_back(positions > 0 ? loss_sum / positions : 0.0);
    summary.epoch_accuracy.push_back(positions > 0 ? correct / positions : 0.0);
    bar.finish(fmt::format("{} pretraining {}/{}  masked-token loss {:.4f}  accuracy {:.4f}", label,
                           epoch + 1, options.epochs, summary.epoch_loss.back(),
                           summary.epoch_accuracy.back()));
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace distill::distillation
