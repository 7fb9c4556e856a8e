// A run's effective YAML as recipe entries ("student.train.lr" -> "0.05"): what --resume
// compares to decide whether a finished stage was produced by the same settings.
#pragma once

#include <string>
#include <vector>

#include "distill/core/run_recipe.h"

namespace distill::config {

/// Every scalar of the YAML under one of `sections` (a top-level key such as "seed", or a
/// dotted path such as "distill"), keyed by its dotted path with list indices
/// ("distill.features[0].kind"), except the keys in `excluded` (and everything under them).
/// Values are the YAML scalars as written. `source` names the text in errors.
RunRecipe config_recipe(const std::string& yaml_text, const std::string& source,
                        const std::vector<std::string>& sections,
                        const std::vector<std::string>& excluded = {});

}  // namespace distill::config
