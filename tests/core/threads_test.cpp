// distill's own parallel loops run on the configured threads. at::parallel_for is a header
// template: compiled without libtorch's OpenMP flags it runs every loop on the calling thread and
// nothing fails — distill's fused LSTM, dropout, embedding bag and optimizer steps ran that way,
// serially, until this test's check existed.
#include "distill/core/threads.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"

namespace distill {
namespace {

class ThreadCount {
 public:
  ThreadCount() : saved_(at::get_num_threads()) {}
  ~ThreadCount() { at::set_num_threads(saved_); }

 private:
  int saved_;
};

TEST(ParallelForThreads, DistillsOwnLoopsSplitOverTheConfiguredThreads) {
  const ThreadCount restore;
  EXPECT_EQ(configure_threads(3), 3);
  // One item per thread at least: three threads take part (the thread count is a request to
  // OpenMP, which may give fewer only when the system limits it; it does not here).
  EXPECT_EQ(parallel_for_threads(1000), 3);
  EXPECT_EQ(parallel_for_threads(2), 2);  // fewer items than threads: one thread each
  EXPECT_EQ(parallel_for_threads(1), 1);
  EXPECT_EQ(configure_threads(1), 1);
  EXPECT_EQ(parallel_for_threads(1000), 1);
}

TEST(ParallelForThreads, RefusesAnEmptyLoop) { EXPECT_THROW(parallel_for_threads(0), Error); }

}  // namespace
}  // namespace distill
