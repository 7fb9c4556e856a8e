// `distill distill`: train the config's student from a saved teacher.
#include <filesystem>
#include <memory>

#include "commands.h"
#include "distill/models/model_io.h"
#include "distill/models/predict.h"
#include "distill/pipeline/stages.h"
#include "stage_summary.h"

namespace distill::cli {

void register_distill_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::string teacher;
    std::string output;
    bool resume = false;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "distill", "Distill the config's student from a saved teacher (the distill: section)");
  add_config_arguments(*command, args->config);
  command->add_option("-t,--teacher", args->teacher, "teacher model file (from distill train)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--out", args->output, "student model file to write")->required();
  command->add_flag("--resume", args->resume, "continue from <out>.ckpt when it exists");
  command->callback([args] {
    const LoadedConfig loaded = load_config(args->config);
    const config::PipelineConfig& config = loaded.config;
    const models::SavedModel teacher = models::load_model(args->teacher);
    const data::PreparedData data = data::prepare_data(config.data, config.seed, &teacher.normalization);
    pipeline::StageRun run;
    run.model_path = args->output;
    run.checkpoint_path = args->output + ".ckpt";
    run.resume = args->resume;
    run.show_progress = !args->config.quiet;
    run.seed = config.seed;
    pipeline::TrainedModel trained = pipeline::distill_from_teacher(
        config.student, config.distill, teacher.model, "student-distilled", data, run);
    std::filesystem::remove(run.checkpoint_path);
    const at::Tensor teacher_predictions =
        models::predict_logits(*teacher.model, data.test.features, config.evaluation.batch_size)
            .argmax(1);
    report::ModelReport model =
        pipeline::evaluate_model("student (distilled)", *trained.saved.model, data.test,
                                 teacher_predictions, config.evaluation, !args->config.quiet);
    model.training = trained.training;
    print_stage_summary(model, args->output);
  });
}

}  // namespace distill::cli
