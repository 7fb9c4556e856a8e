// apply_process_settings: libtorch's thread count, the compute path, and OpenBLAS's own thread
// pool — one thread on the fast path, the run's threads on the reference path, a user's
// OPENBLAS_NUM_THREADS kept.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "distill/core/error.h"
#include "distill/core/threads.h"
#include "distill/kernels/compute_path.h"
#include "distill/pipeline/command_policy.h"

namespace distill::pipeline {
namespace {

/// Unsets an environment variable for the test's duration and restores it after.
class UnsetEnvironment {
 public:
  explicit UnsetEnvironment(const char* name) : name_(name) {
    if (const char* value = std::getenv(name)) saved_ = value;
    unsetenv(name);
  }
  ~UnsetEnvironment() {
    if (saved_) setenv(name_, saved_->c_str(), 1);
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

config::PipelineConfig settings(int64_t threads, kernels::ComputePath compute) {
  config::PipelineConfig config;
  config.threads = threads;
  config.compute = compute;
  return config;
}

TEST(ProcessSettings, OpenBlasRunsOneThreadOnTheFastPathAndTheRunsOnTheReferencePath) {
  if (openblas_threads() == 0) GTEST_SKIP() << "libtorch does not run on OpenBLAS here";
  const UnsetEnvironment unset("OPENBLAS_NUM_THREADS");
  EXPECT_EQ(apply_process_settings(settings(3, kernels::ComputePath::kReference)), 3);
  EXPECT_EQ(at::get_num_threads(), 3);
  EXPECT_EQ(kernels::compute_path(), kernels::ComputePath::kReference);
  EXPECT_EQ(openblas_threads(), 3);

  EXPECT_EQ(apply_process_settings(settings(2, kernels::ComputePath::kFast)), 2);
  EXPECT_EQ(at::get_num_threads(), 2);
  EXPECT_EQ(kernels::compute_path(), kernels::ComputePath::kFast);
  EXPECT_EQ(openblas_threads(), 1);
}

TEST(ProcessSettings, AUsersOpenBlasThreadCountIsKept) {
  if (openblas_threads() == 0) GTEST_SKIP() << "libtorch does not run on OpenBLAS here";
  ASSERT_TRUE(set_openblas_threads(2));
  const UnsetEnvironment unset("OPENBLAS_NUM_THREADS");
  setenv("OPENBLAS_NUM_THREADS", "2", 1);
  apply_process_settings(settings(2, kernels::ComputePath::kFast));
  EXPECT_EQ(openblas_threads(), 2);
}

TEST(ProcessSettings, OpenBlasThreadCountsBelowOneAreRefused) {
  EXPECT_THROW(set_openblas_threads(0), Error);
}

}  // namespace
}  // namespace distill::pipeline
