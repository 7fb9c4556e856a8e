// The epoch loop: seeded order and augmentation, objective, optimizer step, schedule, validation,
// best-weight selection, early stopping and checkpoints.
#include "distill/distillation/trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/nn/utils/clip_grad.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <sstream>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/core/progress_bar.h"
#include "distill/core/random.h"
#include "distill/data/batching.h"
#include "distill/distributed/communicator.h"
#include "distill/distributed/gradient_buckets.h"
#include "distill/distributed/sharded_rows.h"
#include "distill/distillation/checkpoint.h"
#include "distill/models/module_state.h"
#include "distill/models/predict.h"

namespace distill::distillation {
namespace {

// Random streams derived from the run seed, one per purpose and epoch.
constexpr uint64_t kOrderStream = 0;
constexpr uint64_t kAugmentStream = 1'000'000;
constexpr uint64_t kDropoutStream = 2'000'000;

std::vector<at::Tensor> snapshot_state(models::Classifier& model) {
  std::vector<at::Tensor> copy;
  for (const auto& t : models::module_state(model)) copy.push_back(t.detach().clone());
  return copy;
}

void restore_state(models::Classifier& model, const std::vector<at::Tensor>& saved) {
  torch::NoGradGuard no_grad;
  auto state = models::module_state(model);
  DISTILL_CHECK(state.size() == saved.size(), "saved weights hold ", saved.size(),
                " tensors but the model has ", state.size());
  for (size_t i = 0; i < state.size(); ++i) state[i].copy_(saved[i]);
}

double accuracy_of(const at::Tensor& logits, const at::Tensor& labels) {
  return logits.argmax(1).eq(labels).to(at::kDouble).mean().item<double>();
}

/// A random stream's seed: the single-process one, mixed with the rank when there are several.
uint64_t rank_seed(uint64_t seed, const distributed::Communicator* group) {
  return group == nullptr || group->size() == 1 ? seed : derive_seed(seed, group->rank());
}

/// This rank's rows of a global batch.
data::Batch shard_of_batch(const data::Batch& batch, const distributed::Shard& shard) {
  const int64_t n = shard.end - shard.begin;
  return {batch.inputs.narrow(0, shard.begin, n), batch.labels.narrow(0, shard.begin, n),
          batch.indices.narrow(0, shard.begin, n)};
}

/// The passes of a batch of `count` rows at most `micro_batch_size` rows each (0: one pass).
std::vector<distributed::Shard> micro_batches(int64_t count, int64_t micro_batch_size) {
  const int64_t size = micro_batch_size > 0 ? micro_batch_size : count;
  std::vector<distributed::Shard> passes;
  for (int64_t begin = 0; begin < count; begin += size)
    passes.push_back({begin, std::min(count, begin + size)});
  return passes;
}

/// Accuracy on `dataset`, the ranks predicting a share each (one process: all of it).
double sharded_accuracy(models::Classifier& model, const data::Dataset& dataset,
                        distributed::Communicator* group) {
  constexpr int64_t kBatch = 1000;
  const at::Tensor logits = distributed::compute_sharded_rows(
      group, dataset.size(), kBatch, model.spec().num_classes, [&](const distributed::Shard& rows) {
        return models::predict_logits(model, dataset.features.narrow(0, rows.begin, rows.size()),
                                      kBatch);
      });
  return accuracy_of(logits, dataset.labels);
}

}  // namespace

std::string dataset_content_hash(const data::Dataset& dataset) {
  if (!dataset.features.defined() || dataset.size() == 0) return "empty";
  const at::Tensor features = dataset.features.contiguous();
  const at::Tensor labels = dataset.labels.contiguous();
  return content_hash(features.data_ptr(), features.nbytes()) + " " +
         content_hash(labels.data_ptr(), labels.nbytes());
}

RunRecipe training_recipe(const models::Classifier& model, const TrainingObjective& objective,
                          const data::Dataset& train, const TrainOptions& o) {
  RunRecipe r = o.recipe;
  const auto number = [](double v) { return fmt::format("{}", v); };
  r.set("training.label", o.label)
      .set("training.model", model_spec_to_json(model.spec()))
      .set("training.objective", objective.name())
      .set("training.epochs", std::to_string(o.epochs))
      .set("training.batch_size", std::to_string(o.batch_size))
      .set("training.optimizer", to_string(o.optimizer.kind))
      .set("training.lr", number(o.optimizer.learning_rate))
      .set("training.momentum", number(o.optimizer.momentum))
      .set("training.nesterov", o.optimizer.nesterov ? "true" : "false")
      .set("training.weight_decay", number(o.optimizer.weight_decay))
      .set("training.schedule", to_string(o.schedule.kind))
      .set("training.step_epochs", std::to_string(o.schedule.step_epochs))
      .set("training.step_gamma", number(o.schedule.step_gamma))
      .set("training.warmup_epochs", std::to_string(o.schedule.warmup_epochs))
      .set("training.early_stopping_patience", std::to_string(o.early_stopping_patience))
      .set("training.max_gradient_norm", std::to_string(o.max_gradient_norm))
      .set("training.micro_batch_size", std::to_string(o.micro_batch_size))
      .set("training.augmentation.max_shift", std::to_string(o.augmentation.max_shift))
      .set("training.augmentation.horizontal_flip", o.augmentation.horizontal_flip ? "true" : "false")
      .set("training.seed", std::to_string(o.seed))
      .set("training.samples", std::to_string(train.size()));
  if (r.entries().count("data.content") == 0) r.set("data.content", dataset_content_hash(train));
  return r;
}

void validate_train_options(const TrainOptions& o, const std::string& where) {
  DISTILL_CHECK(o.epochs >= 1, where, ".epochs = ", o.epochs, ": expected >= 1");
  DISTILL_CHECK(o.batch_size >= 1, where, ".batch_size = ", o.batch_size, ": expected >= 1");
  DISTILL_CHECK(o.micro_batch_size >= 0, where, ".micro_batch_size = ", o.micro_batch_size,
                ": expected >= 0 (0: the whole batch in one pass)");
  DISTILL_CHECK(o.optimizer.learning_rate > 0 && std::isfinite(o.optimizer.learning_rate), where,
                ".lr = ", o.optimizer.learning_rate, ": expected a finite value > 0");
  DISTILL_CHECK(o.optimizer.momentum >= 0 && o.optimizer.momentum < 1, where, ".momentum = ",
                o.optimizer.momentum, ": expected a value in [0, 1)");
  DISTILL_CHECK(o.optimizer.weight_decay >= 0, where, ".weight_decay = ",
                o.optimizer.weight_decay, ": expected >= 0");
  DISTILL_CHECK(!o.optimizer.nesterov || o.optimizer.momentum > 0, where,
                ".nesterov needs momentum > 0");
  DISTILL_CHECK(o.schedule.step_epochs >= 1, where, ".step_epochs = ", o.schedule.step_epochs,
                ": expected >= 1");
  DISTILL_CHECK(o.schedule.step_gamma > 0 && o.schedule.step_gamma <= 1, where, ".step_gamma = ",
                o.schedule.step_gamma, ": expected a value in (0, 1]");
  DISTILL_CHECK(o.schedule.warmup_epochs >= 0 && o.schedule.warmup_epochs < o.epochs, where,
                ".warmup_epochs = ", o.schedule.warmup_epochs, ": expected a value in [0, epochs)");
  DISTILL_CHECK(o.early_stopping_patience >= 0, where, ".early_stopping_patience = ",
                o.early_stopping_patience, ": expected >= 0 (0 turns early stopping off)");
  DISTILL_CHECK(o.max_gradient_norm >= 0 && std::isfinite(o.max_gradient_norm), where,
                ".max_gradient_norm = ", o.max_gradient_norm, ": expected a finite value >= 0 (0: off)");
  DISTILL_CHECK(o.augmentation.max_shift >= 0, where, ".augmentation.max_shift = ",
                o.augmentation.max_shift, ": expected >= 0");
}

TrainingSummary train_model(models::Classifier& model, TrainingObjective& objective,
                            const data::Dataset& train, const data::Dataset& validation,
                            const TrainOptions& options) {
  validate_train_options(options, options.label);
  data::validate_dataset(train, options.label + " training set");
  const bool has_validation = validation.size() > 0;
  const int64_t batches = data::batch_count(train.size(), options.batch_size);
  const int64_t total_steps = batches * options.epochs;
  distributed::Communicator* const group = options.communicator.get();
  const int world = group ? group->size() : 1;
  const bool data_parallel = world > 1;  // implies a group

  // The objective's own trainable parameters (hint adapters) train with the model's.
  const std::shared_ptr<torch::nn::Module> objective_state = objective.trainable();
  std::vector<at::Tensor> parameters = model.parameters();
  if (objective_state) {
    const auto extra = objective_state->parameters();
    parameters.insert(parameters.end(), extra.begin(), extra.end());
  }
  auto optimizer = make_optimizer(parameters, options.optimizer);
  GradientReset gradients(parameters);  // the optimizer's zero_grad, without zeroing in place
  // Each rank's gradients, weighted by its share of the global batch, summed over the ranks in
  // buckets during the backward pass: every rank then steps with the whole batch's gradient.
  std::optional<distributed::GradientBuckets> buckets;
  if (data_parallel) buckets.emplace(parameters, *group, group->world().bucket_bytes);
  const std::string fingerprint = training_recipe(model, objective, train, options).to_text();
  std::vector<at::Tensor> best_state;
  TrainingProgress progress;
  progress.fingerprint = fingerprint;
  progress.summary.objective = objective.name();

  if (options.resume && !options.checkpoint_path.empty() &&
      std::filesystem::exists(options.checkpoint_path)) {
    progress = load_checkpoint(options.checkpoint_path, model, *optimizer, best_state, fingerprint,
                               objective_state.get());
    progress.summary.resumed_after_epoch = progress.completed_epochs;
  }

  for (int64_t epoch = progress.completed_epochs; epoch < options.epochs; ++epoch) {
    if (progress.summary.stopped_early) break;
    const auto epoch_start = std::chrono::steady_clock::now();
    const double collective_start = group ? group->collective_seconds() : 0;
    model.train();
    if (options.on_epoch_start) options.on_epoch_start(epoch);
    seed_default_generator(rank_seed(derive_seed(options.seed, kDropoutStream + epoch), group));
    auto augment_generator = at::make_generator<at::CPUGeneratorImpl>(
        rank_seed(derive_seed(options.seed, kAugmentStream + epoch), group));
    const at::Tensor order =
        data::epoch_order(train.size(), derive_seed(options.seed, kOrderStream), epoch, true);

    ProgressBar bar(options.label + " " + std::to_string(epoch + 1) + "/" +
                        std::to_string(options.epochs),
                    batches, options.show_progress);
    double loss_sum = 0, correct = 0;
    double rate = options.optimizer.learning_rate;
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t step = epoch * batches + b;
      rate = scheduled_learning_rate(options.schedule, options.optimizer.learning_rate, step,
                                     batches, total_steps);
      set_learning_rate(*optimizer, rate);

      data::Batch batch = data::gather_batch(train, order, b, options.batch_size);
      const int64_t global_count = batch.labels.size(0);
      if (data_parallel)
        batch = shard_of_batch(batch, distributed::shard_of(global_count, group->rank(), world));
      const int64_t count = batch.labels.size(0);
      gradients.release();
      if (count == 0 && buckets) buckets->start_step();
      if (count > 0) {
        batch.inputs = data::augment_images(batch.inputs, options.augmentation,
                                            options.augmentation_fill, augment_generator);
        // Passes of at most micro_batch_size rows; their gradients add up to the batch's. With
        // several ranks, only the last pass's backward runs inside the buckets' step: its
        // gradients arrive there with the earlier passes' already summed in.
        const std::vector<distributed::Shard> passes = micro_batches(count, options.micro_batch_size);
        for (size_t p = 0; p < passes.size(); ++p) {
          const data::Batch pass = passes.size() == 1 ? batch : shard_of_batch(batch, passes[p]);
          const int64_t rows = passes[p].size();
          models::FeatureTaps taps(objective.student_taps());
          const at::Tensor logits = model.forward(pass.inputs, taps);
          const at::Tensor loss = objective.loss(pass, logits, taps);
          const double loss_value = loss.item<double>();
          DISTILL_CHECK_HINT(std::isfinite(loss_value),
                             detail::concat("lower the learning rate (", options.label,
                                            ".train.lr = ", options.optimizer.learning_rate,
                                            ") or check the inputs for NaN; the last complete "
                                            "epoch's checkpoint is kept for --resume"),
                             options.label, " diverged: the loss is ", loss_value, " at epoch ",
                             epoch + 1, ", batch ", b + 1, " of ", batches);
          if (buckets && p + 1 == passes.size()) buckets->start_step();
          // The pass's mean loss weighted by its share of the global batch: summed over the
          // passes and the ranks, the batch's mean.
          const double share = static_cast<double>(rows) / static_cast<double>(global_count);
          if (share == 1.0)
            loss.backward();
          else
            (loss * share).backward();
          loss_sum += loss_value * static_cast<double>(rows);
          correct += logits.argmax(1).eq(pass.labels).sum().item<double>();
        }
      }
      if (buckets) buckets->finish_step();
      gradients.fill_unreached();
      if (options.max_gradient_norm > 0)
        torch::nn::utils::clip_grad_norm_(parameters, options.max_gradient_norm);  // + adapters
      optimizer->step();
      if (options.after_step) options.after_step();

      std::ostringstream status;
      status.precision(4);
      // (Several ranks: this rank's running mean; the epoch's line has the whole batch's.)
      status << "loss " << loss_sum / static_cast<double>(std::max<int64_t>(
                               1, std::min(train.size(), (b + 1) * options.batch_size) / world));
      bar.update(b + 1, status.str());
    }

    if (data_parallel) {
      const std::vector<double> totals = group->all_reduce_sum(std::vector<double>{loss_sum, correct});
      loss_sum = totals[0];
      correct = totals[1];
    }
    EpochRecord record;
    record.epoch = epoch + 1;
    record.train_loss = loss_sum / static_cast<double>(train.size());
    record.train_accuracy = correct / static_cast<double>(train.size());
    record.learning_rate = rate;
    if (has_validation) {
      record.validation_accuracy = sharded_accuracy(model, validation, group);
    }
    record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    progress.summary.history.push_back(record);

    // Keep the best validation epoch (the latest when there is no validation set).
    const bool improved = !has_validation ||
                          record.validation_accuracy > progress.summary.best_validation_accuracy;
    if (improved) {
      progress.summary.best_epoch = record.epoch;
      progress.summary.best_validation_accuracy = record.validation_accuracy;
      progress.epochs_without_improvement = 0;
      best_state = snapshot_state(model);
    } else {
      ++progress.epochs_without_improvement;
    }
    progress.summary.stopped_early = options.early_stopping_patience > 0 &&
                                     progress.epochs_without_improvement >=
                                         options.early_stopping_patience &&
                                     epoch + 1 < options.epochs;
    progress.completed_epochs = epoch + 1;

    std::ostringstream line;
    line.setf(std::ios::fixed);
    line.precision(4);
    line << options.label << " epoch " << record.epoch << "/" << options.epochs << "  loss "
         << record.train_loss << "  train acc " << record.train_accuracy;
    if (has_validation) line << "  val acc " << record.validation_accuracy;
    line.precision(1);
    line << "  " << record.seconds << "s";
    if (data_parallel)
      line << " (" << world << " processes, all-reduce " << group->collective_seconds() - collective_start << "s)";
    if (progress.summary.stopped_early) line << "  (early stop)";
    bar.finish(line.str());

    progress.summary.seconds += record.seconds;
    // Ranks other than 0 write no files (core/atomic_file.h): skip serialising for nothing.
    if (!options.checkpoint_path.empty() && process_writes_files())
      save_checkpoint(options.checkpoint_path, model, *optimizer, best_state, progress,
                      objective_state.get());
  }

  if (!best_state.empty()) restore_state(model, best_state);
  model.eval();
  return progress.summary;
}

}  // namespace distill::distillation
