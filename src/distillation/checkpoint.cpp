// Checkpoints as tensor files (core/tensor_file.h): the model's, the objective's and the best
// epoch's tensors, the optimizer's per-parameter state, and the loop state as JSON.
#include "distill/distillation/checkpoint.h"

#include <c10/util/string_utils.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <nlohmann/json.hpp>

#include "distill/core/error.h"
#include "distill/core/run_recipe.h"
#include "distill/core/tensor_file.h"
#include "distill/distillation/training_summary_json.h"
#include "distill/models/module_state.h"

namespace distill::distillation {
namespace {

constexpr const char* kFileKind = "distill-checkpoint";

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

/// Every parameter the optimizer updates, in group order: optimizer state is stored by this index.
std::vector<at::Tensor> optimized_parameters(torch::optim::Optimizer& optimizer) {
  std::vector<at::Tensor> params;
  for (const auto& group : optimizer.param_groups())
    for (const at::Tensor& p : group.params()) params.push_back(p);
  return params;
}

std::string state_key(const at::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

std::string optimizer_kind(torch::optim::Optimizer& optimizer) {
  if (dynamic_cast<torch::optim::SGD*>(&optimizer)) return "sgd";
  if (dynamic_cast<torch::optim::AdamW*>(&optimizer)) return "adamw";
  if (dynamic_cast<torch::optim::Adam*>(&optimizer)) return "adam";
  DISTILL_FAIL("checkpoints support SGD, Adam and AdamW optimizers");
}

/// The Adam-family state fields, for AdamParamState and AdamWParamState alike.
template <typename State>
void save_adam_state(const State& state, const std::string& prefix, TensorFile& file,
                     nlohmann::json& steps, size_t index) {
  steps[std::to_string(index)] = state.step();
  file.tensors.emplace_back(prefix + "exp_avg", state.exp_avg());
  file.tensors.emplace_back(prefix + "exp_avg_sq", state.exp_avg_sq());
  if (state.max_exp_avg_sq().defined() && state.max_exp_avg_sq().numel() > 0)
    file.tensors.emplace_back(prefix + "max_exp_avg_sq", state.max_exp_avg_sq());
}

/// The stored state tensor `name` for parameter `p`: same shape and type, or an error.
at::Tensor state_tensor(const TensorFile& file, const std::string& name, const at::Tensor& p,
                        const std::string& source) {
  const at::Tensor& t = file.get(name, source);
  DISTILL_CHECK(t.sizes() == p.sizes() && t.scalar_type() == p.scalar_type(), "checkpoint '",
                source, "': optimizer state '", name, "' of shape ", t.sizes(),
                " for a parameter of shape ", p.sizes());
  return t.clone();
}

template <typename State>
std::unique_ptr<State> load_adam_state(const TensorFile& file, const std::string& prefix,
                                       const at::Tensor& p, int64_t step,
                                       const std::string& source) {
  auto state = std::make_unique<State>();
  state->step(step);
  state->exp_avg(state_tensor(file, prefix + "exp_avg", p, source));
  state->exp_avg_sq(state_tensor(file, prefix + "exp_avg_sq", p, source));
  if (file.has(prefix + "max_exp_avg_sq"))
    state->max_exp_avg_sq(state_tensor(file, prefix + "max_exp_avg_sq", p, source));
  return state;
}

void save_optimizer_state(torch::optim::Optimizer& optimizer, TensorFile& file,
                          nlohmann::json& meta) {
  const std::string kind = optimizer_kind(optimizer);
  nlohmann::json steps = nlohmann::json::object();
  const auto params = optimized_parameters(optimizer);
  for (size_t i = 0; i < params.size(); ++i) {
    const auto found = optimizer.state().find(state_key(params[i]));
    if (found == optimizer.state().end()) continue;
    const std::string prefix = "optimizer." + std::to_string(i) + ".";
    if (kind == "sgd") {
      const auto& state = static_cast<const torch::optim::SGDParamState&>(*found->second);
      if (state.momentum_buffer().defined())
        file.tensors.emplace_back(prefix + "momentum_buffer", state.momentum_buffer());
    } else if (kind == "adam") {
      save_adam_state(static_cast<const torch::optim::AdamParamState&>(*found->second), prefix,
                      file, steps, i);
    } else {
      save_adam_state(static_cast<const torch::optim::AdamWParamState&>(*found->second), prefix,
                      file, steps, i);
    }
  }
  meta["optimizer"] = {{"kind", kind}, {"parameters", params.size()}, {"steps", steps}};
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const TensorFile& file,
                          const nlohmann::json& meta, const std::string& source) {
  const std::string kind = optimizer_kind(optimizer);
  DISTILL_CHECK(meta.at("kind").get<std::string>() == kind, "checkpoint '", source, "' holds ",
                meta.at("kind").get<std::string>(), " state but this run uses ", kind);
  const auto params = optimized_parameters(optimizer);
  DISTILL_CHECK(meta.at("parameters").get<size_t>() == params.size(), "checkpoint '", source,
                "' holds optimizer state for ", meta.at("parameters").get<size_t>(),
                " parameters but this run optimizes ", params.size());
  const nlohmann::json& steps = meta.at("steps");
  optimizer.state().clear();
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string prefix = "optimizer." + std::to_string(i) + ".";
    const at::Tensor& p = params[i];
    if (kind == "sgd") {
      if (!file.has(prefix + "momentum_buffer")) continue;
      auto state = std::make_unique<torch::optim::SGDParamState>();
      state->momentum_buffer(state_tensor(file, prefix + "momentum_buffer", p, source));
      optimizer.state()[state_key(p)] = std::move(state);
      continue;
    }
    if (!steps.contains(std::to_string(i))) continue;
    const int64_t step = steps.at(std::to_string(i)).get<int64_t>();
    DISTILL_CHECK(step >= 0, "checkpoint '", source, "': optimizer step ", step, " < 0");
    if (kind == "adam")
      optimizer.state()[state_key(p)] =
          load_adam_state<torch::optim::AdamParamState>(file, prefix, p, step, source);
    else
      optimizer.state()[state_key(p)] =
          load_adam_state<torch::optim::AdamWParamState>(file, prefix, p, step, source);
  }
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, models::Classifier& model,
                     torch::optim::Optimizer& optimizer, const std::vector<at::Tensor>& best_state,
                     const TrainingProgress& progress, torch::nn::Module* objective_state) {
  TensorFile file;
  file.kind = kFileKind;
  nlohmann::json meta = {{"version", kCheckpointVersion},
                         {"progress", progress_to_json(progress)},
                         {"best_count", best_state.size()},
                         {"objective_state", objective_state != nullptr}};
  file.tensors = models::named_module_state(model, "model.");
  if (objective_state != nullptr)
    for (auto& entry : models::named_module_state(*objective_state, "objective."))
      file.tensors.push_back(std::move(entry));
  for (size_t i = 0; i < best_state.size(); ++i)
    file.tensors.emplace_back("best." + std::to_string(i), best_state[i]);
  save_optimizer_state(optimizer, file, meta);
  file.meta_json = meta.dump();
  write_tensor_file(path, file);
}

namespace {

/// The progress record of a checkpoint file already read, its version checked.
TrainingProgress read_progress(const TensorFile& file, const std::string& source,
                               nlohmann::json& meta) {
  try {
    meta = nlohmann::json::parse(file.meta_json);
    const int64_t version = meta.at("version").get<int64_t>();
    DISTILL_CHECK(version == kCheckpointVersion, "checkpoint '", source, "' has version ",
                  version, ", this distill reads version ", kCheckpointVersion);
    return progress_from_json(meta.at("progress"));
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL("checkpoint '", source, "': malformed progress record: ", e.what());
  }
}

}  // namespace

std::string read_checkpoint_fingerprint(const std::filesystem::path& path) {
  nlohmann::json meta;
  return read_progress(read_tensor_file(path, kFileKind), path.string(), meta).fingerprint;
}

TrainingProgress load_checkpoint(const std::filesystem::path& path, models::Classifier& model,
                                 torch::optim::Optimizer& optimizer,
                                 std::vector<at::Tensor>& best_state,
                                 const std::string& expected_fingerprint,
                                 torch::nn::Module* objective_state) {
  const std::string source = path.string();
  const TensorFile file = read_tensor_file(path, kFileKind);
  nlohmann::json meta;
  TrainingProgress progress = read_progress(file, source, meta);
  DISTILL_CHECK_HINT(progress.fingerprint == expected_fingerprint,
                     "resume with the config that wrote it, or start over without --resume (or "
                     "in a new output directory)",
                     "checkpoint '", source, "' was written by another recipe; resuming it would "
                     "train one model two ways. What differs (checkpoint before, this run now):\n",
                     describe_recipe_differences(RunRecipe::from_text(progress.fingerprint),
                                                 RunRecipe::from_text(expected_fingerprint)));
  DISTILL_CHECK(progress.completed_epochs >= 0 && progress.epochs_without_improvement >= 0,
                "checkpoint '", source, "': negative epoch counts (", progress.completed_epochs,
                " completed, ", progress.epochs_without_improvement, " without improvement)");

  models::load_named_state(model, file, "model.", source);
  if (objective_state != nullptr)
    models::load_named_state(*objective_state, file, "objective.", source);

  const std::vector<at::Tensor> state = models::module_state(model);
  try {
    load_optimizer_state(optimizer, file, meta.at("optimizer"), source);
    const auto best_count = meta.at("best_count").get<size_t>();
    DISTILL_CHECK(best_count == 0 || best_count == state.size(), "checkpoint '", source,
                  "' has no best-weights record for its ", state.size(), " tensors (",
                  best_count, " stored)");
    best_state.clear();
    for (size_t i = 0; i < best_count; ++i)
      best_state.push_back(file.get("best." + std::to_string(i), source).clone());
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL("checkpoint '", source, "': malformed optimizer or best-weights record: ",
                 e.what());
  }
  if (!best_state.empty()) models::check_same_layout(state, best_state, source, "the best weights");
  return progress;
}

}  // namespace distill::distillation
