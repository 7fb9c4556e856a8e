// Config loading shared by the commands.
#include "commands.h"
#include "distill/pipeline/command_policy.h"

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
  LoadedConfig loaded = config::load_pipeline_config(arguments.config_path, arguments.overrides);
  if (arguments.threads >= 0) loaded.config.threads = arguments.threads;
  pipeline::apply_process_settings(loaded.config);
  return loaded;
}

}  // namespace distill::cli
