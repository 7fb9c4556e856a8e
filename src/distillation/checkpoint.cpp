// Checkpoints as libtorch archives with JSON-encoded loop state.
#include "distill/distillation/checkpoint.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <nlohmann/json.hpp>

#include "distill/core/error.h"
#include "distill/core/torch_archive.h"
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

}  // namespace

void save_checkpoint(const std::filesystem::path& path, models::Classifier& model,
                     torch::optim::Optimizer& optimizer, const std::vector<at::Tensor>& best_state,
                     const TrainingProgress& progress) {
  torch::serialize::OutputArchive archive;
  archive.write("distill_checkpoint_version", c10::IValue(kCheckpointVersion));
  archive.write("progress", c10::IValue(progress_to_json(progress).dump()));
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("best_count", c10::IValue(static_cast<int64_t>(best_state.size())));
  for (size_t i = 0; i < best_state.size(); ++i)
    archive.write("best_" + std::to_string(i), best_state[i], /*is_buffer=*/true);
  write_archive_file(path, archive);
}

TrainingProgress load_checkpoint(const std::filesystem::path& path, models::Classifier& model,
                                 torch::optim::Optimizer& optimizer,
                                 std::vector<at::Tensor>& best_state,
                                 const std::string& expected_fingerprint) {
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
  try {
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model.load(model_archive);
    optimizer.load(optimizer_archive);
    DISTILL_CHECK(archive.try_read("best_count", best_count) && best_count.isInt(),
                  "checkpoint '", source, "' has no best-weights record");
    best_state.resize(static_cast<size_t>(best_count.toInt()));
    for (size_t i = 0; i < best_state.size(); ++i)
      archive.read("best_" + std::to_string(i), best_state[i], /*is_buffer=*/true);
  } catch (const c10::Error& e) {
    DISTILL_FAIL("checkpoint '", source, "' does not match the model being trained: ",
                 e.what_without_backtrace());
  }
  return progress;
}

}  // namespace distill::distillation
