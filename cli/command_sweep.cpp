// `distill sweep`: distillation settings chosen on the validation split.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "distill/core/error.h"
#include "distill/distributed/communicator.h"
#include "distill/pipeline/sweep.h"

namespace distill::cli {

void register_sweep_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::vector<std::string> grid;
    std::string output_dir;
    int64_t seeds = 1;
    bool resume = false;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "sweep", "Distil the config's student at every point of a grid of distillation settings "
               "(e.g. --grid distill.temperature=1,2,4 --grid distill.alpha=0,0.5), choose the "
               "point with the best validation accuracy, then report its test accuracy against "
               "the baseline student");
  add_config_arguments(*command, args->config);
  command->add_option("--grid", args->grid, "an axis: a distill.* key and its values, key=v1,v2")
      ->required();
  command->add_option("--seeds", args->seeds, "seeds per point (teacher and baseline per seed)")
      ->check(CLI::PositiveNumber);
  command->add_option("-o,--output", args->output_dir,
                      "sweep directory (default: <output_dir>/sweep)");
  command->add_flag("--resume", args->resume, "reuse each seed's finished teacher and baseline");
  command->callback([args] {
    const std::optional<distributed::WorldOptions> world = distributed::world_from_environment();
    DISTILL_CHECK_HINT(!world || world->size == 1,
                       "run `distill sweep` as one process; `distill run --nproc N` trains one "
                       "configuration data-parallel",
                       "distill sweep does not train data-parallel (WORLD_SIZE = ",
                       world ? world->size : 1, ")");
    const LoadedConfig loaded = load_config(args->config);
    pipeline::SweepOptions options;
    for (const auto& axis : args->grid) options.axes.push_back(pipeline::parse_sweep_axis(axis));
    options.seeds = args->seeds;
    options.resume = args->resume;
    options.show_progress = !args->config.quiet;
    options.output_dir = args->output_dir.empty()
                             ? std::filesystem::path(loaded.config.output_dir) / "sweep"
                             : std::filesystem::path(args->output_dir);
    const pipeline::SweepReport report = pipeline::run_sweep(loaded.yaml, loaded.source, {}, options);
    std::printf("%s\nresults: %s\n", pipeline::format_sweep(report).c_str(),
                (options.output_dir / "sweep.json").c_str());
  });
}

}  // namespace distill::cli
