// A config as the `distill` commands read it: a YAML file (or the built-in default), with
// `key.path=value` overrides applied, validated; plus the effective YAML a run saves beside its
// results.
#pragma once

#include <string>
#include <vector>

#include "distill/config/pipeline_config.h"

namespace distill::config {

struct LoadedConfig {
  PipelineConfig config;
  std::string yaml;    // the effective YAML (overrides applied)
  std::string source;  // the file's path, or "built-in default"
};

/// Reads `path` (empty: the built-in default config) and applies `overrides`, each
/// "key.path=value". Throws naming the file, key and value on anything invalid.
LoadedConfig load_pipeline_config(const std::string& path,
                                  const std::vector<std::string>& overrides = {});

}  // namespace distill::config
