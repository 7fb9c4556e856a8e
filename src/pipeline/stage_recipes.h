// What determines each resumable stage of `distill run`: the config sections it reads, the
// data's content, the teacher's identity, the model format. --resume reuses a finished stage
// only when its recorded recipe equals the one computed here.
#pragma once

#include <string>
#include <vector>

#include "distill/config/pipeline_config.h"
#include "distill/core/run_recipe.h"
#include "distill/data/data_source.h"

namespace distill::pipeline {

/// A resumable stage, named like its files ("teacher", "student_baseline", "born_again_g1").
struct StageRecipe {
  std::string key;
  RunRecipe recipe;
};

/// Every resumable stage's recipe for this config, in the order the pipeline runs them (so a
/// refusal names the first stage that differs). Only the stages the config runs appear. `config_yaml` is the effective YAML (config sections are
/// read from it, so a key added to the config later is covered without a change here).
std::vector<StageRecipe> stage_recipes(const config::PipelineConfig& config,
                                       const std::string& config_yaml,
                                       const data::PreparedData& data);

/// The recipe of stage `key`; throws distill::Error when the config runs no such stage.
const RunRecipe& recipe_of(const std::vector<StageRecipe>& recipes, const std::string& key);

}  // namespace distill::pipeline
