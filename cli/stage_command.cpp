// Shared ending of the single-stage commands.
#include "stage_command.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "distill/core/atomic_file.h"
#include "distill/distillation/training_summary_json.h"
#include "distill/distributed/communicator.h"
#include "distill/pipeline/command_policy.h"

namespace distill::cli {

pipeline::StageRun single_stage_run(const std::string& output, bool resume,
                                    const ConfigArguments& arguments, uint64_t seed,
                                    std::shared_ptr<distributed::Communicator> group) {
  pipeline::StageRun run;
  run.model_path = output;
  run.checkpoint_path = output + ".ckpt";
  run.resume = resume;
  run.show_progress = !arguments.quiet && (group == nullptr || group->is_main());
  run.seed = seed;
  run.communicator = std::move(group);
  return run;
}

void finish_stage_command(const std::string& title, const pipeline::TrainedModel& trained,
                          const pipeline::StageRun& run, const data::PreparedData& data,
                          const at::Tensor& teacher_predictions, const LoadedConfig& loaded) {
  remove_written_file(run.checkpoint_path);
  const std::filesystem::path record = pipeline::training_record_path(run.model_path);
  write_file_atomically(record, nlohmann::json(trained.training).dump(2) + "\n");
  if (!process_writes_files()) return;  // a data-parallel worker other than rank 0
  report::ModelReport model =
      pipeline::evaluate_model(title, *trained.saved.model, data.test, teacher_predictions,
                               loaded.config.evaluation, run.show_progress);
  std::printf("%s: %s, %lld parameters, test accuracy %.4f", title.c_str(),
              model.architecture.c_str(), static_cast<long long>(model.size.parameters),
              model.test.accuracy);
  if (model.test.agreement) std::printf(", agreement with teacher %.4f", *model.test.agreement);
  std::printf(", trained in %.1f s\nsaved: %s (training record: %s)\n",
              trained.training.seconds, run.model_path.c_str(), record.c_str());
}

}  // namespace distill::cli
