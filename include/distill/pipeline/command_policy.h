// The policy every `distill` command applies — process-wide settings and where a stage's files
// go — in the library, so that a program calling it behaves like the command line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "distill/config/pipeline_config.h"

namespace distill::distributed {
class Communicator;
}

namespace distill::pipeline {

/// Applies the config's process-wide settings before any work: libtorch's and the kernels'
/// thread count (`threads`, 0: every core) and the compute path (`compute`: fast or reference),
/// and keeps freed heap memory for reuse (core/allocator.h: training steps stop faulting their
/// activations in anew); OpenBLAS's own thread pool runs one thread on the fast path (its small
/// products there only contend with OpenMP's threads) and the run's threads on the reference
/// path, unless OPENBLAS_NUM_THREADS is set. Returns the thread count in effect. run_pipeline calls it; call it before the single stages.
/// (One setting cannot be applied from a library: libgomp reads GOMP_SPINCOUNT when it loads;
/// the `distill` program sets it to 10000 — docs/benchmarks.md — and a program linking the
/// library sets it in its environment.)
int64_t apply_process_settings(const config::PipelineConfig& config);

/// Where the teacher's soft labels are cached: `distill.cache_dir` when set, else
/// `soft-label-cache` in `run_directory` (the folder of the run, or of the file a stage writes).
std::filesystem::path soft_label_cache_dir(const config::DistillStageConfig& distill,
                                           const std::filesystem::path& run_directory);

/// When this process is one of several (torchrun's variables in the environment: WORLD_SIZE
/// and RANK; distributed::world_from_environment), joins their group and makes every rank but 0
/// write no files (rank 0 writes each once; core/atomic_file.h). Null when launched alone.
/// Commands pass it on (PipelineOptions, StageRun) and print only on rank 0.
std::shared_ptr<distributed::Communicator> join_process_group_from_environment();

/// A stage's training record (history, recipe), beside its model file:
/// `student.pt` -> `student.training.json`.
std::filesystem::path training_record_path(const std::filesystem::path& model_path);

}  // namespace distill::pipeline
