// Process-wide settings and where a stage's files go.
#include "distill/pipeline/command_policy.h"

#include <cstdlib>

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
  // On the fast path the large products run on oneDNN inside libtorch's OpenMP threads; what
  // reaches OpenBLAS are small ones (an LSTM's step, attention's batched products), for which
  // its own pool of threads only contends with OpenMP's for the cores: one thread. The
  // reference path's products are all OpenBLAS's and keep the run's threads. A user's
  // OPENBLAS_NUM_THREADS is kept. (docs/benchmarks.md: a BiLSTM epoch 1.5x faster, the other
  // families unchanged.)
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr)
    set_openblas_threads(config.compute == kernels::ComputePath::kFast ? 1
                                                                       : static_cast<int>(threads));
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
