// The recipes of `distill run`'s resumable stages.
#include "stage_recipes.h"

#include "distill/config/config_recipe.h"
#include "distill/core/error.h"
#include "distill/distillation/trainer.h"
#include "distill/models/model_io.h"

namespace distill::pipeline {
namespace {

/// Keys inside the stages' sections that do not change what a stage trains. (Sections no stage
/// reads — threads, output_dir, evaluation, quantize: the int8 stages run again on every
/// resume — are simply not listed by any stage.)
const std::vector<std::string> kNotPartOfAnyStage = {"distill.cache_dir"};

RunRecipe sections(const std::string& yaml, std::vector<std::string> names,
                   std::vector<std::string> excluded = kNotPartOfAnyStage) {
  return config::config_recipe(yaml, "config.yaml", names, excluded);
}

}  // namespace

std::vector<StageRecipe> stage_recipes(const config::PipelineConfig& config,
                                       const std::string& yaml, const data::PreparedData& data) {
  // Every stage: the seed, the compute path, the data (settings and content), the format.
  RunRecipe common = sections(yaml, {"seed", "compute", "data"});
  common.set("data.content", distillation::dataset_content_hash(data.train) + " " +
                                 distillation::dataset_content_hash(data.validation))
      .set("format.model_file", std::to_string(models::kModelFileVersion));

  // The teacher a distillation stage learns from: its recipe when this run trains it, its file's
  // content when it is loaded; and every extra teacher's file.
  RunRecipe teacher = sections(yaml, {"teacher"});
  if (!config.teacher.load.empty())
    teacher.set("teacher.load.content", file_content_hash(config.teacher.load));
  for (size_t i = 0; i < config.distill.extra_teachers.size(); ++i)
    teacher.set("distill.extra_teachers[" + std::to_string(i) + "].content",
                file_content_hash(config.distill.extra_teachers[i]));

  // The baseline's own training options change the baseline alone.
  std::vector<std::string> not_distilled = kNotPartOfAnyStage;
  not_distilled.push_back("student.baseline_train");
  const RunRecipe student = sections(yaml, {"student"}, not_distilled);
  const RunRecipe distill = sections(yaml, {"distill"});

  std::vector<StageRecipe> recipes;
  if (config.teacher.load.empty())
    recipes.push_back({"teacher", RunRecipe(common).merge(sections(yaml, {"teacher"}))});
  recipes.push_back({"student_baseline", RunRecipe(common).merge(sections(yaml, {"student"}))});
  const RunRecipe distilled = RunRecipe(common).merge(student).merge(distill).merge(teacher);
  recipes.push_back({"student_distilled", distilled});
  if (config.prune.kind != config::PruneKind::kNone)
    recipes.push_back({"student_pruned", RunRecipe(distilled).merge(sections(yaml, {"prune"}))});
  for (int64_t g = 1; g <= config.self_distill.generations; ++g)
    recipes.push_back({"born_again_g" + std::to_string(g),
                       RunRecipe(common).merge(distill).merge(teacher).set(
                           "self_distill.generation", std::to_string(g))});
  if (config.self_distill.teacher_free)
    recipes.push_back({"student_teacher_free",
                       RunRecipe(common).merge(student).merge(distill).merge(
                           sections(yaml, {"self_distill.virtual_confidence"}))});
  return recipes;
}

const RunRecipe& recipe_of(const std::vector<StageRecipe>& recipes, const std::string& key) {
  for (const auto& stage : recipes)
    if (stage.key == key) return stage.recipe;
  DISTILL_FAIL("no recipe for the stage '", key, "': this config does not run it");
}

}  // namespace distill::pipeline
