// `distill config`: print the built-in default config, a starting point for one's own.
#include <cstdio>

#include "commands.h"

namespace distill::cli {

void register_config_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "config", "Print the built-in default config (distill config > my.yaml)");
  command->callback([] { std::fputs(config::default_config_yaml().c_str(), stdout); });
}

}  // namespace distill::cli
