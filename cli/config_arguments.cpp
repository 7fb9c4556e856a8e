// Config loading shared by the commands.
#include <optional>

#include "commands.h"
#include "distill/distributed/communicator.h"
#include "distill/distributed/local_launcher.h"
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

void add_launch_arguments(CLI::App& command, LaunchArguments& arguments) {
  command.add_option("--nproc", arguments.nproc,
                     "train data-parallel in N local processes (docs/distributed.md; a torchrun-"
                     "style launcher's RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT work too)")
      ->check(CLI::Range(1, 1024));
  command.add_option("--threads-per-proc", arguments.threads_per_proc,
                     "compute threads of each process with --nproc (0: the cores divided among them)")
      ->check(CLI::NonNegativeNumber);
  command.add_option("--master-port", arguments.master_port,
                     "the rendezvous port of --nproc's workers on 127.0.0.1")
      ->check(CLI::Range(1, 65535));
}

namespace {
std::vector<std::string>& program_arguments() {
  static std::vector<std::string> arguments;
  return arguments;
}
}  // namespace

void set_program_arguments(int argc, char** argv) { program_arguments().assign(argv, argv + argc); }

void launch_workers_if_asked(const LaunchArguments& arguments) {
  if (arguments.nproc <= 1 || distributed::world_from_environment().has_value()) return;
  distributed::LocalLaunch launch;
  launch.processes = arguments.nproc;
  launch.threads_per_process = arguments.threads_per_proc;
  launch.master_port = arguments.master_port;
  throw CLI::RuntimeError(distributed::launch_local_workers(program_arguments(), launch));
}

LoadedConfig load_config(const ConfigArguments& arguments) {
  LoadedConfig loaded = config::load_pipeline_config(arguments.config_path, arguments.overrides);
  if (arguments.threads >= 0) loaded.config.threads = arguments.threads;
  // A worker of --nproc: the launcher's share of the cores, unless -j says otherwise.
  if (arguments.threads < 0)
    if (const std::optional<int> share = distributed::threads_per_process_from_environment())
      loaded.config.threads = *share;
  pipeline::apply_process_settings(loaded.config);
  return loaded;
}

}  // namespace distill::cli
