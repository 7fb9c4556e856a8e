// Process-wide settings and where a stage's files go.
#include "distill/pipeline/command_policy.h"

#include "distill/core/allocator.h"
#include "distill/core/atomic_file.h"
#include "distill/core/threads.h"
#include "distill/distributed/communicator.h"
#include "distill/kernels/compute_path.h"

namespace distill::pipeline {

int64_t apply_process_settings(const config::PipelineConfig& config) {
  keep_freed_memory_for_reuse();
  const int64_t threads = configure_threads(config.threads);
  kernels::set_compute_path(config.compute);
  return threads;
}

std::filesystem::path soft_label_cache_dir(const config::DistillStageConfig& distill,
                                           const std::filesystem::path& run_directory) {
  if (!distill.cache_dir.empty()) return distill.cache_dir;
  return std::filesystem::absolute(run_directory) / "soft-label-cache";
}

std::shared_ptr<distributed::Communicator> join_process_group_from_environment() {
  const std::optional<distributed::WorldOptions> world = distributed::world_from_environment();
  if (!world || world->size == 1) return nullptr;
  auto group = distributed::Communicator::connect(*world);
  set_process_writes_files(group->is_main());
  return group;
}

std::filesystem::path training_record_path(const std::filesystem::path& model_path) {
  return std::filesystem::path(model_path).replace_extension(".training.json");
}

}  // namespace distill::pipeline
