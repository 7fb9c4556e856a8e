// Command lines for the CLI suites: `--set key=value` pairs from a plain list of settings.
#pragma once

#include <string>
#include <vector>

namespace distill::testing {

/// `argv` followed by "--set", s for every s in `settings`.
inline std::vector<std::string> with_settings(std::vector<std::string> argv,
                                              const std::vector<std::string>& settings) {
  for (const auto& setting : settings) {
    argv.push_back("--set");
    argv.push_back(setting);
  }
  return argv;
}

}  // namespace distill::testing
