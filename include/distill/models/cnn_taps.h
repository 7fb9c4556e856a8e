// The tap names the CNN families share.
#pragma once

#include <string>
#include <vector>

namespace distill::models {

/// {"stem", "stage1", ..., "stage<n>", "pooled", "logits"}
inline std::vector<std::string> cnn_tap_names(size_t stage_count) {
  std::vector<std::string> names = {"stem"};
  for (size_t s = 1; s <= stage_count; ++s) names.push_back("stage" + std::to_string(s));
  names.push_back("pooled");
  names.push_back("logits");
  return names;
}

}  // namespace distill::models
