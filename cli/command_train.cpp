// `distill train`: train the config's teacher or student on labels alone.
#include <filesystem>
#include <memory>

#include "commands.h"
#include "distill/core/error.h"
#include "distill/pipeline/stages.h"
#include "stage_summary.h"

namespace distill::cli {

void register_train_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::string role = "teacher";
    std::string output;
    bool resume = false;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "train", "Train the config's teacher, or its student without a teacher (the baseline)");
  add_config_arguments(*command, args->config);
  command->add_option("-r,--role", args->role, "which model of the config to train")
      ->check(CLI::IsMember({"teacher", "student"}));
  command->add_option("-o,--out", args->output, "model file to write")->required();
  command->add_flag("--resume", args->resume, "continue from <out>.ckpt when it exists");
  command->callback([args] {
    const LoadedConfig loaded = load_config(args->config);
    const config::PipelineConfig& config = loaded.config;
    const data::PreparedData data = data::prepare_data(config.data, config.seed);
    pipeline::StageRun run;
    run.model_path = args->output;
    run.checkpoint_path = args->output + ".ckpt";
    run.resume = args->resume;
    run.show_progress = !args->config.quiet;
    run.seed = config.seed;
    const bool teacher = args->role == "teacher";
    pipeline::TrainedModel trained = pipeline::train_on_labels(
        teacher ? config.teacher : config.student, teacher ? "teacher" : "student-baseline", data, run);
    std::filesystem::remove(run.checkpoint_path);
    report::ModelReport model = pipeline::evaluate_model(
        args->role, *trained.saved.model, data.test, at::Tensor(), config.evaluation,
        !args->config.quiet);
    model.training = trained.training;
    print_stage_summary(model, args->output);
  });
}

}  // namespace distill::cli
