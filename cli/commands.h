// The `distill` subcommands, one file each; main.cpp registers them and handles errors.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "distill/config/loaded_config.h"

namespace distill::cli {

/// Options every command that reads a config shares.
struct ConfigArguments {
  std::string config_path;             // empty: the built-in default
  std::vector<std::string> overrides;  // --set key.path=value
  int64_t threads = -1;                // -1: as the config says
  bool quiet = false;
};

/// Adds --config, --set, --threads and --quiet to `command`.
void add_config_arguments(CLI::App& command, ConfigArguments& arguments);

using config::LoadedConfig;

/// Options of the commands that train (`run`, `train`, `distill`) for data-parallel training.
struct LaunchArguments {
  int nproc = 1;
  int threads_per_proc = 0;  // 0: the cores divided among the workers
  int master_port = 29500;
};

/// Adds --nproc, --threads-per-proc and --master-port to `command`.
void add_launch_arguments(CLI::App& command, LaunchArguments& arguments);

/// With --nproc N > 1, in a process that is not itself a worker: runs this command line as N
/// local workers and ends the command with their exit status (CLI::RuntimeError). Otherwise
/// returns at once.
void launch_workers_if_asked(const LaunchArguments& arguments);

/// The command line `distill` was started with (main keeps it for the workers).
void set_program_arguments(int argc, char** argv);

/// Reads, overrides and validates the config (--threads over its `threads`); applies its
/// process-wide settings (pipeline::apply_process_settings).
LoadedConfig load_config(const ConfigArguments& arguments);

void register_run_command(CLI::App& app);
void register_train_command(CLI::App& app);
void register_distill_command(CLI::App& app);
void register_evaluate_command(CLI::App& app);
void register_describe_command(CLI::App& app);
void register_quantize_command(CLI::App& app);
void register_export_command(CLI::App& app);
void register_bench_command(CLI::App& app);
void register_config_command(CLI::App& app);
void register_sweep_command(CLI::App& app);
void register_report_command(CLI::App& app);

}  // namespace distill::cli
