// `distill train`: train the config's teacher or student on labels alone.
#include <memory>

#include "commands.h"
#include "distill/pipeline/command_policy.h"
#include "stage_command.h"

namespace distill::cli {

void register_train_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::string role = "teacher";
    std::string output;
    bool resume = false;
    LaunchArguments launch;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "train", "Train the config's teacher, or its student without a teacher (the baseline)");
  add_config_arguments(*command, args->config);
  command->add_option("-r,--role", args->role, "which model of the config to train")
      ->check(CLI::IsMember({"teacher", "student"}));
  command->add_option("-o,--out", args->output, "model file to write")->required();
  command->add_flag("--resume", args->resume, "continue from <out>.ckpt when it exists");
  add_launch_arguments(*command, args->launch);
  command->callback([args] {
    launch_workers_if_asked(args->launch);
    const LoadedConfig loaded = load_config(args->config);
    auto group = pipeline::join_process_group_from_environment();
    const config::PipelineConfig& config = loaded.config;
    const data::PreparedData data = data::prepare_data(config.data, config.seed);
    const pipeline::StageRun run =
        single_stage_run(args->output, args->resume, args->config, config.seed, group);
    const bool teacher = args->role == "teacher";
    const pipeline::TrainedModel trained =
        pipeline::train_on_labels(teacher ? config.teacher : config::baseline_student(config),
                                  teacher ? "teacher" : "student-baseline", data, run);
    finish_stage_command(args->role, trained, run, data, at::Tensor(), loaded);
  });
}

}  // namespace distill::cli
