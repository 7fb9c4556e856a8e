// Flattening a YAML config into recipe entries.
#include "distill/config/config_recipe.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "distill/core/error.h"

namespace distill::config {
namespace {

/// Whether `key` is `section` or lies under it ("a.b" under "a", "a[0].b" under "a").
bool is_under(const std::string& key, const std::string& section) {
  return key.compare(0, section.size(), section) == 0 &&
         (key.size() == section.size() || key[section.size()] == '.' ||
          key[section.size()] == '[');
}

void flatten(const YAML::Node& node, const std::string& path, RunRecipe& out) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      for (const auto& item : node)
        flatten(item.second, path.empty() ? item.first.Scalar() : path + "." + item.first.Scalar(),
                out);
      return;
    case YAML::NodeType::Sequence:
      if (node.size() == 0) out.set(path, "[]");
      for (size_t i = 0; i < node.size(); ++i)
        flatten(node[i], path + "[" + std::to_string(i) + "]", out);
      return;
    case YAML::NodeType::Scalar: out.set(path, node.Scalar()); return;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: out.set(path, "~"); return;
  }
}

}  // namespace

RunRecipe config_recipe(const std::string& yaml_text, const std::string& source,
                        const std::vector<std::string>& sections,
                        const std::vector<std::string>& excluded) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    DISTILL_FAIL("config '", source, "' is not valid YAML: ", e.what());
  }
  RunRecipe all, kept;
  if (root.IsMap()) flatten(root, "", all);
  for (const auto& [key, value] : all.entries()) {
    const auto under = [&](const std::string& s) { return is_under(key, s); };
    if (std::any_of(sections.begin(), sections.end(), under) &&
        std::none_of(excluded.begin(), excluded.end(), under))
      kept.set(key, value);
  }
  return kept;
}

}  // namespace distill::config
