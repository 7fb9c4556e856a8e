// Config loading shared by the commands.
#include <filesystem>

#include "commands.h"
#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/core/threads.h"
#include "distill/kernels/compute_path.h"

namespace distill::cli {

void add_config_arguments(CLI::App& command, ConfigArguments& arguments) {
  command.add_option("-c,--config", arguments.config_path,
                     "YAML config (default: the built-in one; see `distill config`)");
  command.add_option("-s,--set", arguments.overrides,
                     "override a config key, e.g. --set teacher.train.epochs=3 (repeatable)");
  command.add_option("-j,--threads", arguments.threads, "compute threads (0: every core)")
      ->check(CLI::NonNegativeNumber);
  command.add_flag("-q,--quiet", arguments.quiet, "no progress output");
}

LoadedConfig load_config(const ConfigArguments& arguments) {
  LoadedConfig loaded;
  std::string text;
  if (arguments.config_path.empty()) {
    text = config::default_config_yaml();
    loaded.source = "built-in default";
  } else {
    DISTILL_CHECK_HINT(std::filesystem::is_regular_file(arguments.config_path),
                       "`distill config > my.yaml` writes the default config to start from",
                       "config file '", arguments.config_path, "' does not exist");
    text = read_file_bytes(arguments.config_path);
    loaded.source = arguments.config_path;
  }
  loaded.config = config::parse_pipeline_config(text, loaded.source, arguments.overrides);
  loaded.yaml = config::apply_config_overrides(text, loaded.source, arguments.overrides);
  if (arguments.threads >= 0) loaded.config.threads = arguments.threads;
  configure_threads(loaded.config.threads);
  kernels::set_compute_path(loaded.config.compute);
  return loaded;
}

}  // namespace distill::cli
