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
