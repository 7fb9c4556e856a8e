// `distill distill`: train the config's student from a saved teacher.
#include <filesystem>
#include <memory>

#include "commands.h"
#include "distill/models/model_io.h"
#include "distill/models/predict.h"
#include "distill/pipeline/command_policy.h"
#include "distill/pipeline/teacher_file.h"
#include "stage_command.h"

namespace distill::cli {

void register_distill_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::string teacher;
    std::string output;
    bool resume = false;
    LaunchArguments launch;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "distill", "Distill the config's student from a saved teacher (the distill: section)");
  add_config_arguments(*command, args->config);
  command->add_option("-t,--teacher", args->teacher, "teacher: a distill model file, or a TorchScript module saved from PyTorch")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--out", args->output, "student model file to write")->required();
  command->add_flag("--resume", args->resume, "continue from <out>.ckpt when it exists");
  add_launch_arguments(*command, args->launch);
  command->callback([args] {
    launch_workers_if_asked(args->launch);
    const LoadedConfig loaded = load_config(args->config);
    auto group = pipeline::join_process_group_from_environment();
    const config::PipelineConfig& config = loaded.config;
    // The student sees the inputs exactly as the teacher was trained on them.
    const pipeline::TeacherWithData with_data = pipeline::load_teacher_with_data(
        args->teacher, config.data, config.seed, "--teacher '" + args->teacher + "'");
    const models::SavedModel& teacher = with_data.teacher;
    const data::PreparedData& data = with_data.data;
    const pipeline::StageRun run =
        single_stage_run(args->output, args->resume, args->config, config.seed, group);
    const std::filesystem::path cache_dir = pipeline::soft_label_cache_dir(
        config.distill, std::filesystem::absolute(args->output).parent_path());
    const pipeline::TrainedModel trained = pipeline::distill_from_teacher(
        config.student, config.distill, teacher.model, "student-distilled", data, run, cache_dir);
    const at::Tensor teacher_predictions =
        models::predict_logits(*teacher.model, data.test.features, config.evaluation.batch_size)
            .argmax(1);
    finish_stage_command("student (distilled)", trained, run, data, teacher_predictions, loaded);
  });
}

}  // namespace distill::cli
