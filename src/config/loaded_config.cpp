// Reading a config file the way the `distill` commands do.
#include "distill/config/loaded_config.h"

#include <filesystem>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"

namespace distill::config {

LoadedConfig load_pipeline_config(const std::string& path,
                                  const std::vector<std::string>& overrides) {
  LoadedConfig loaded;
  std::string text;
  if (path.empty()) {
    text = default_config_yaml();
    loaded.source = "built-in default";
  } else {
    DISTILL_CHECK_HINT(std::filesystem::is_regular_file(path),
                       "`distill config > my.yaml` writes the default config to start from",
                       "config file '", path, "' does not exist");
    text = read_file_bytes(path);
    loaded.source = path;
  }
  loaded.config = parse_pipeline_config(text, loaded.source, overrides);
  loaded.yaml = apply_config_overrides(text, loaded.source, overrides);
  return loaded;
}

}  // namespace distill::config
