// Shared ending of the single-stage commands.
#include "stage_command.h"

#include <cstdio>
#include <filesystem>

namespace distill::cli {

pipeline::StageRun single_stage_run(const std::string& output, bool resume,
                                    const ConfigArguments& arguments, uint64_t seed) {
  pipeline::StageRun run;
  run.model_path = output;
  run.checkpoint_path = output + ".ckpt";
  run.resume = resume;
  run.show_progress = !arguments.quiet;
  run.seed = seed;
  return run;
}

void finish_stage_command(const std::string& title, const pipeline::TrainedModel& trained,
                          const pipeline::StageRun& run, const data::PreparedData& data,
                          const at::Tensor& teacher_predictions, const LoadedConfig& loaded) {
  std::error_code ignored;
  std::filesystem::remove(run.checkpoint_path, ignored);
  report::ModelReport model =
      pipeline::evaluate_model(title, *trained.saved.model, data.test, teacher_predictions,
                               loaded.config.evaluation, run.show_progress);
  std::printf("%s: %s, %lld parameters, test accuracy %.4f", title.c_str(),
              model.architecture.c_str(), static_cast<long long>(model.size.parameters),
              model.test.accuracy);
  if (model.test.agreement) std::printf(", agreement with teacher %.4f", *model.test.agreement);
  std::printf(", trained in %.1f s\nsaved: %s\n", trained.training.seconds,
              run.model_path.c_str());
}

}  // namespace distill::cli
