// `distill run`: the whole pipeline from a config.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "distill/distributed/communicator.h"
#include "distill/pipeline/command_policy.h"
#include "distill/pipeline/run_pipeline.h"
#include "distill/pipeline/seed_runs.h"
#include "distill/report/run_report.h"

namespace distill::cli {

void register_run_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::string output_dir;
    bool resume = false;
    bool details = false;
    int64_t seeds = 1;
    LaunchArguments launch;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "run", "Run the whole pipeline: train a teacher, a baseline student and a distilled "
             "student, evaluate all three and report them side by side");
  add_config_arguments(*command, args->config);
  command->add_option("-o,--output", args->output_dir, "run directory (overrides output_dir)");
  command->add_flag("--resume", args->resume,
                    "reuse finished stages and continue an interrupted one from its checkpoint");
  command->add_flag("--details", args->details, "also print per-class accuracy and confusion");
  command->add_option("--seeds", args->seeds,
                      "run the pipeline for N seeds (seed, seed+1, ...) into <output>/seed-<s> and "
                      "write <output>/seeds.json: mean ± sd per model and each student paired "
                      "with the baseline (t test, 95% interval)")
      ->check(CLI::PositiveNumber);
  add_launch_arguments(*command, args->launch);
  command->callback([args] {
    launch_workers_if_asked(args->launch);
    LoadedConfig loaded = load_config(args->config);
    if (!args->output_dir.empty()) loaded.config.output_dir = args->output_dir;
    pipeline::PipelineOptions options;
    options.config_source = loaded.source;
    options.config_yaml = loaded.yaml;
    options.resume = args->resume;
    options.communicator = pipeline::join_process_group_from_environment();
    const bool main_rank = options.communicator == nullptr || options.communicator->is_main();
    options.show_progress = !args->config.quiet && main_rank;
    if (args->seeds > 1) {
      const pipeline::SeedRunsReport seeds =
          pipeline::run_pipeline_over_seeds(loaded.config, options, args->seeds);
      if (!main_rank) return;
      for (size_t i = 0; i < seeds.runs.size(); ++i)
        std::printf("\nseed %llu\n%s", static_cast<unsigned long long>(seeds.seeds[i]),
                    report::format_summary_table(seeds.runs[i]).c_str());
      const std::filesystem::path dir = loaded.config.output_dir;
      std::printf("\n%s\nresults: %s\nreport:  %s\n", pipeline::format_seed_runs(seeds).c_str(),
                  (dir / "seeds.json").c_str(), (dir / "report.html").c_str());
      return;
    }
    const report::RunReport report = pipeline::run_pipeline(loaded.config, options);
    if (!main_rank) return;
    std::printf("\n%s", report::format_summary_table(report).c_str());
    if (args->details) {
      for (const auto& model : report.models)
        std::printf("\n%s", report::format_model_details(model, report.class_names).c_str());
    }
    const std::filesystem::path dir = loaded.config.output_dir;
    std::printf("\nresults: %s  (%.1f s)\nreport:  %s\n", (dir / "results.json").c_str(),
                report.total_seconds, (dir / "report.html").c_str());
  });
}

}  // namespace distill::cli
