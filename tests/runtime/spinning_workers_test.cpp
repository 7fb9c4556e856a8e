// The runtime's worker pool: every task runs once per call on its own thread, exceptions come
// back to the caller, and workers that went to sleep between calls wake for the next one.
#include "spinning_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "distill/core/error.h"

namespace distill::runtime {
namespace {

TEST(SpinningWorkers, EachTaskRunsOncePerCallOnItsOwnThread) {
  SpinningWorkers workers(3);
  ASSERT_EQ(workers.threads(), 3);
  for (int call = 0; call < 500; ++call) {
    const int count = 1 + call % 3;
    std::vector<std::atomic<int>> runs(3);
    std::vector<std::thread::id> ids(3);
    workers.run(count, [&](int i) {
      runs[i].fetch_add(1);
      ids[i] = std::this_thread::get_id();
    });
    for (int i = 0; i < 3; ++i) ASSERT_EQ(runs[i].load(), i < count ? 1 : 0) << call << " " << i;
    EXPECT_EQ(ids[0], std::this_thread::get_id());  // task 0 runs on the caller
    if (count == 3) {
      EXPECT_NE(ids[1], ids[0]);
      EXPECT_NE(ids[2], ids[1]);
    }
  }
}

TEST(SpinningWorkers, SleepingWorkersWakeForTheNextCall) {
  SpinningWorkers workers(2);
  for (int call = 0; call < 3; ++call) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the spin time: blocked
    std::atomic<int> done{0};
    workers.run(2, [&](int) { done.fetch_add(1); });
    EXPECT_EQ(done.load(), 2);
  }
}

TEST(SpinningWorkers, ATaskExceptionReachesTheCallerAndThePoolStaysUsable) {
  SpinningWorkers workers(2);
  EXPECT_THROW(workers.run(2, [](int i) {
    if (i == 1) throw std::runtime_error("worker failed");
  }),
               std::runtime_error);
  std::atomic<int> done{0};
  workers.run(2, [&](int) { done.fetch_add(1); });
  EXPECT_EQ(done.load(), 2);
  EXPECT_THROW(workers.run(3, [](int) {}), Error);  // more tasks than threads
}

}  // namespace
}  // namespace distill::runtime
