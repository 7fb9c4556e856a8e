// Checkpoints as libtorch archives with JSON-encoded loop state.
#include "distill/distillation/checkpoint.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <c10/util/string_utils.h>

#include <nlohmann/json.hpp>

#include "distill/core/error.h"
#include "distill/core/torch_archive.h"
#include "distill/models/module_state.h"
#include "distill/distillation/training_summary_json.h"

namespace distill::distillation {
namespace {

nlohmann::json progress_to_json(const TrainingProgress& progress) {
  return {{"completed_epochs", progress.completed_epochs},
          {"epochs_without_improvement", progress.epochs_without_improvement},
          {"fingerprint", progress.fingerprint},
          {"summary", progress.summary}};
}

TrainingProgress progress_from_json(const nlohmann::json& j) {
  TrainingProgress progress;
  j.at("completed_epochs").get_to(progress.completed_epochs);
  j.at("epochs_without_improvement").get_to(progress.epochs_without_improvement);
  j.at("fingerprint").get_to(progress.fingerprint);
  j.at("summary").get_to(progress.summary);
  return progress;
}

/// The optimizer's per-parameter state (SGD momentum, Adam moments) must have its parameter's
/// shape and type: the fused SGD step writes through raw pointers.
void check_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& source) {
  const auto& state = optimizer.state();
  for (const auto& group : optimizer.param_groups()) {
    for (const at::Tensor& p : group.params()) {
      const auto found = state.find(c10::guts::to_string(p.unsafeGetTensorImpl()));
      if (found == state.end()) continue;
      std::vector<at::Tensor> tensors;
      if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(found->second.get())) {
        tensors = {sgd->momentum_buffer()};
      } else if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(found->second.get())) {
        tensors = {adam->exp_avg(), adam->exp_avg_sq()};
      } else if (auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(found->second.get())) {
        tensors = {adamw->exp_avg(), adamw->exp_avg_sq()};
      }
      for (const at::Tensor& t : tensors) {
        check_tensor_storage(t, source, "optimizer state");
        DISTILL_CHECK(!t.defined() || (t.sizes() == p.sizes() && t.scalar_type() == p.scalar_type() &&
                                       t.is_contiguous()),
                      "checkpoint '", source, "': optimizer state of shape ",
                      t.defined() ? t.sizes() : at::IntArrayRef{}, " for a parameter of shape ",
                      p.sizes());
      }
    }
  }
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, models::Classifier& model,
                     torch::optim::Optimizer& optimizer, const std::vector<at::Tensor>& best_state,
                     const TrainingProgress& progress, torch::nn::Module* objective_state) {
  torch::serialize::OutputArchive archive;
  archive.write("distill_checkpoint_version", c10::IValue(kCheckpointVersion));
  archive.write("progress", c10::IValue(progress_to_json(progress).dump()));
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  if (objective_state != nullptr) {
    torch::serialize::OutputArchive objective_archive;
    objective_state->save(objective_archive);
    archive.write("objective", objective_archive);
  }
  archive.write("best_count", c10::IValue(static_cast<int64_t>(best_state.size())));
  for (size_t i = 0; i < best_state.size(); ++i)
    archive.write("best_" + std::to_string(i), best_state[i], /*is_buffer=*/true);
  write_archive_file(path, archive);
}

TrainingProgress load_checkpoint(const std::filesystem::path& path, models::Classifier& model,
                                 torch::optim::Optimizer& optimizer,
                                 std::vector<at::Tensor>& best_state,
                                 const std::string& expected_fingerprint,
                                 torch::nn::Module* objective_state) {
  const std::string source = path.string();
  torch::serialize::InputArchive archive = read_archive_file(path, "distill checkpoint");
  c10::IValue version, progress_text, best_count;
  DISTILL_CHECK(archive.try_read("distill_checkpoint_version", version) && version.isInt(),
                "'", source, "' is not a distill checkpoint");
  DISTILL_CHECK(version.toInt() == kCheckpointVersion, "checkpoint '", source, "' has version ",
                version.toInt(), ", this distill reads version ", kCheckpointVersion);
  DISTILL_CHECK(archive.try_read("progress", progress_text) && progress_text.isString(),
                "checkpoint '", source, "' has no progress record");
  TrainingProgress progress;
  try {
    progress = progress_from_json(nlohmann::json::parse(progress_text.toStringRef()));
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL("checkpoint '", source, "': malformed progress record: ", e.what());
  }
  DISTILL_CHECK_HINT(progress.fingerprint == expected_fingerprint,
                     "delete the checkpoint to start over, or resume with the config that wrote it",
                     "checkpoint '", source, "' belongs to another run:\n  checkpoint: ",
                     progress.fingerprint, "\n  this run:   ", expected_fingerprint);
  DISTILL_CHECK(progress.completed_epochs >= 0 && progress.epochs_without_improvement >= 0,
                "checkpoint '", source, "': negative epoch counts (", progress.completed_epochs,
                " completed, ", progress.epochs_without_improvement, " without improvement)");
  torch::serialize::InputArchive model_archive, optimizer_archive;
  DISTILL_CHECK(archive.try_read("model", model_archive) &&
                    archive.try_read("optimizer", optimizer_archive),
                "checkpoint '", source, "' lacks the model or the optimizer state");
  models::load_module_checked(model, model_archive, source);
  if (objective_state != nullptr) {
    torch::serialize::InputArchive objective_archive;
    DISTILL_CHECK(archive.try_read("objective", objective_archive), "checkpoint '", source,
                  "' lacks the objective's trained parameters (hint adapters)");
    models::load_module_checked(*objective_state, objective_archive, source);
  }
  try {
    optimizer.load(optimizer_archive);
  } catch (const c10::Error& e) {
    DISTILL_FAIL("checkpoint '", source, "': its optimizer state does not match the model: ",
                 e.what_without_backtrace());
  }
  check_optimizer_state(optimizer, source);

  const std::vector<at::Tensor> state = models::module_state(model);
  DISTILL_CHECK(archive.try_read("best_count", best_count) && best_count.isInt() &&
                    (best_count.toInt() == 0 ||
                     best_count.toInt() == static_cast<int64_t>(state.size())),
                "checkpoint '", source, "' has no best-weights record for its ", state.size(),
                " tensors");
  best_state.assign(static_cast<size_t>(best_count.toInt()), at::Tensor());
  for (size_t i = 0; i < best_state.size(); ++i)
    DISTILL_CHECK(archive.try_read("best_" + std::to_string(i), best_state[i], /*is_buffer=*/true),
                  "checkpoint '", source, "' lacks best-weights tensor ", i);
  if (!best_state.empty()) models::check_same_layout(state, best_state, source, "the best weights");
  for (size_t i = 0; i < best_state.size(); ++i)
    check_tensor_storage(best_state[i], source, "best-weights tensor " + std::to_string(i));
  return progress;
}

}  // namespace distill::distillation
