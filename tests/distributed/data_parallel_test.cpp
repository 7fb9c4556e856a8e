// Data-parallel training over loopback, through the `distill` program as users launch it:
// 2 processes step like 1 on the same global batch (one gradient bucket or several, in one pass
// or in micro-batches), the teacher's soft labels computed by 2 ranks are one process's bit for
// bit, a killed rank stops the other with a clear error and the run resumes (with 2 processes or
// 1), and launch mistakes are refused before any work.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "distill/models/model_io.h"
#include "distill/models/module_state.h"
#include "test_support.h"

namespace distill {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

const std::string kDistill = DISTILL_EXECUTABLE;

/// A small Fashion-MNIST subset; the student MLP has no dropout, so 1 and 2 processes see the
/// same arithmetic up to the order of the gradient sums.
std::vector<std::string> small_data() {
  return {"-q", "--set", "data.train_limit=2000", "--set", "data.validation_size=300",
          "--set", "data.test_limit=300", "--set", "evaluation.speed=false"};
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// The largest absolute difference between the two model files' parameters and buffers, and
/// the largest parameter magnitude (to read the difference against).
std::pair<double, double> largest_difference(const fs::path& a, const fs::path& b) {
  const models::SavedModel first = models::load_model(a.string());
  const models::SavedModel second = models::load_model(b.string());
  const auto x = models::module_state(*first.model), y = models::module_state(*second.model);
  EXPECT_EQ(x.size(), y.size());
  double difference = 0, magnitude = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!x[i].is_floating_point()) continue;
    difference = std::max(difference, (x[i] - y[i]).abs().max().item<double>());
    magnitude = std::max(magnitude, x[i].abs().max().item<double>());
  }
  return {difference, magnitude};
}

/// The one file in `directory` (the soft-label cache names its file by a content key).
fs::path only_file_in(const fs::path& directory) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) files.push_back(entry.path());
  EXPECT_EQ(files.size(), 1u) << directory;
  return files.empty() ? fs::path() : files.front();
}

/// The compute path, and the gradient bucket size in MiB (0.05: the student's 318 KB of gradients
/// in two buckets — the output layer and the first layer's bias, then the first layer's weight —
/// the first all-reduced while the backward pass runs; 1, the default: one bucket).
class TwoProcesses : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

// Tolerance: the two runs differ only in the order float32 gradients are summed (per-sample sums
// inside each shard, then the shards' sum, against one sum over the batch), carried by momentum
// SGD over 32 steps: 7.5e-8 measured (docs/distributed.md). 1e-4 is three orders above that and
// three below the weights' scale (~0.1-1).
TEST_P(TwoProcesses, StepLikeOneProcessOnTheSameGlobalBatch) {
  testing::TempDir dir;
  const std::vector<std::string> settings =
      with(small_data(), {"--set", std::string("compute=") + GetParam().first, "--set",
                          "student.train.epochs=2", "--set", "student.train.batch_size=128"});
  const auto one = run_command(with({kDistill, "train", "--role", "student", "-j", "1", "-o",
                                     (dir / "one.pt").string()}, settings));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const int port = std::string(GetParam().first) == "fast" ? 29611 : 29612;
  const auto two = run_command(with({"/usr/bin/env", std::string("DISTILL_BUCKET_MB=") + GetParam().second,
                                     kDistill, "train", "--role", "student", "--nproc", "2",
                                     "--threads-per-proc", "1", "--master-port",
                                     std::to_string(port), "-o", (dir / "two.pt").string()},
                                    settings));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  const auto [difference, magnitude] = largest_difference(dir / "one.pt", dir / "two.pt");
  EXPECT_LT(difference, 1e-4) << "largest parameter " << magnitude;
  EXPECT_GT(magnitude, 0.05);
  // Only rank 0 wrote: one model file, one training record, no checkpoint left behind.
  EXPECT_TRUE(fs::exists(dir / "two.training.json"));
  EXPECT_FALSE(fs::exists(dir / "two.pt.ckpt"));
}

INSTANTIATE_TEST_SUITE_P(ComputePathsAndBuckets, TwoProcesses,
                         ::testing::Values(std::pair{"fast", "0.05"}, std::pair{"reference", "1"}),
                         [](const auto& info) {
                           return std::string(info.param.first) +
                                  (std::string(info.param.second) == "1" ? "_OneBucket"
                                                                        : "_TwoBuckets");
                         });

// Gradient accumulation through the config (student.train.micro_batch_size) and across ranks:
// each rank's 64 rows of a 128-row batch run in passes of 24, 24 and 16, the earlier passes'
// gradients summed into the last pass's bucketed all-reduce — the one-process, one-pass step.
TEST(DataParallel, MicroBatchesInTwoProcessesStepLikeOneProcessInOnePass) {
  testing::TempDir dir;
  const std::vector<std::string> settings =
      with(small_data(), {"--set", "student.train.epochs=2", "--set", "student.train.batch_size=128"});
  const auto one = run_command(with({kDistill, "train", "--role", "student", "-j", "1", "-o",
                                     (dir / "one.pt").string()}, settings));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const auto two = run_command(with({"/usr/bin/env", "DISTILL_BUCKET_MB=0.05", kDistill, "train",
                                     "--role", "student", "--nproc", "2", "--threads-per-proc", "1",
                                     "--master-port", "29622", "-o", (dir / "two.pt").string(),
                                     "--set", "student.train.micro_batch_size=24"},
                                    settings));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  const auto [difference, magnitude] = largest_difference(dir / "one.pt", dir / "two.pt");
  EXPECT_LT(difference, 1e-4) << "largest parameter " << magnitude;
  EXPECT_GT(magnitude, 0.05);
}

TEST(DataParallel, DistillationWithTheSoftLabelCacheStepsLikeOneProcess) {
  testing::TempDir dir;
  const std::vector<std::string> settings =
      with(small_data(), {"--set", "teacher.train.epochs=1", "--set", "student.train.epochs=2"});
  const auto teacher = run_command(with({kDistill, "train", "--role", "teacher", "-j", "1", "-o",
                                         (dir / "teacher.pt").string()}, settings));
  ASSERT_EQ(teacher.exit_code, 0) << teacher.output;
  fs::create_directories(dir / "one");
  fs::create_directories(dir / "two");
  const auto one = run_command(with({kDistill, "distill", "-t", (dir / "teacher.pt").string(),
                                     "-j", "1", "-o", (dir / "one" / "student.pt").string()},
                                    settings));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const auto two = run_command(with({kDistill, "distill", "-t", (dir / "teacher.pt").string(),
                                     "--nproc", "2", "--threads-per-proc", "1", "--master-port",
                                     "29613", "-o", (dir / "two" / "student.pt").string()},
                                    settings));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_LT(largest_difference(dir / "one" / "student.pt", dir / "two" / "student.pt").first, 1e-4);
  // The 1,700 training rows are 2 batches of the cache's 1,000: rank 0 computed the first, rank 1
  // the 700 of the second; gathered and written by rank 0, the file is one process's, byte for
  // byte (each process computing with one thread, as the one-process run did).
  ASSERT_TRUE(fs::exists(dir / "two" / "soft-label-cache")) << "rank 0 wrote the cache";
  const fs::path one_cache = only_file_in(dir / "one" / "soft-label-cache");
  const fs::path two_cache = only_file_in(dir / "two" / "soft-label-cache");
  EXPECT_EQ(one_cache.filename(), two_cache.filename());
  const std::string one_bytes = testing::read_bytes(one_cache);
  EXPECT_GT(one_bytes.size(), 1700u * 10u * 2u);
  EXPECT_TRUE(one_bytes == testing::read_bytes(two_cache)) << "the 2-rank cache differs from one process's";
}

// The whole pipeline (teacher, students, distillation, int8, QAT) in 2 processes reports the same
// models in the same order as one process, each model's test metrics computed over all 300 test
// samples (the ranks evaluated 150 each and gathered) and within a few samples of one process's
// (the models differ by float32 summation order only: no dropout here).
TEST(DataParallel, TheDefaultPipelineInTwoProcessesReportsLikeOne) {
  testing::TempDir dir;
  const std::vector<std::string> settings = with(
      small_data(), {"--set", "teacher.model.hidden=[64]", "--set", "teacher.model.dropout=0",
                     "--set", "teacher.train.epochs=1", "--set", "student.train.epochs=1",
                     "--set", "quantize.qat_epochs=1", "--set", "evaluation.batch_size=100"});
  const auto one = run_command(with({kDistill, "run", "-j", "1", "-o", (dir / "one").string()},
                                    settings));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const auto two = run_command(with({kDistill, "run", "--nproc", "2", "--threads-per-proc", "1",
                                     "--master-port", "29621", "-o", (dir / "two").string()},
                                    settings));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  const auto a = nlohmann::json::parse(testing::read_bytes(dir / "one" / "results.json"));
  const auto b = nlohmann::json::parse(testing::read_bytes(dir / "two" / "results.json"));
  ASSERT_EQ(a.at("model_order"), b.at("model_order"));
  EXPECT_GE(a.at("model_order").size(), 5u) << a.at("model_order").dump();
  for (const auto& key : a.at("model_order")) {
    const auto& x = a.at("models").at(key.get<std::string>()).at("test");
    const auto& y = b.at("models").at(key.get<std::string>()).at("test");
    EXPECT_EQ(y.at("samples").get<int>(), 300) << key;
    EXPECT_EQ(y.at("confusion").size(), x.at("confusion").size()) << key;
    EXPECT_NEAR(x.at("accuracy").get<double>(), y.at("accuracy").get<double>(), 0.03) << key;
  }
  EXPECT_TRUE(fs::exists(dir / "two" / "report.html"));
}

std::vector<std::string> rank_command(int rank, int port, const fs::path& out,
                                      const std::vector<std::string>& settings) {
  return with({"/usr/bin/env", "RANK=" + std::to_string(rank), "WORLD_SIZE=2",
               "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port),
               "DISTILL_DISTRIBUTED_TIMEOUT=30", kDistill, "train", "--role", "teacher", "-j", "1",
               "-o", out.string()},
              settings);
}

TEST(DataParallel, AKilledRankStopsTheOtherAndTheRunResumes) {
  testing::TempDir dir;
  const fs::path out = dir / "teacher.pt";
  const std::vector<std::string> settings =
      with(small_data(), {"--set", "teacher.train.epochs=6", "--set", "teacher.model.dropout=0",
                          "--set", "teacher.train.batch_size=64"});
  const int rank1 = testing::spawn_detached(rank_command(1, 29614, out, settings));
  // Kill rank 1 once rank 0 has written its first checkpoint.
  std::thread killer([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!fs::exists(out.string() + ".ckpt") && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    testing::kill_and_reap(rank1);
  });
  const auto start = std::chrono::steady_clock::now();
  const auto rank0 = run_command(rank_command(0, 29614, out, settings));
  const auto killed_at = std::chrono::steady_clock::now();
  killer.join();
  EXPECT_NE(rank0.exit_code, 0) << rank0.output;
  EXPECT_NE(rank0.output.find("rank 0 of 2: the gradient all-reduce failed"), std::string::npos)
      << rank0.output;
  EXPECT_LT(std::chrono::duration<double>(killed_at - start).count(), 150.0);
  ASSERT_TRUE(fs::exists(out.string() + ".ckpt")) << "the last complete epoch's checkpoint stays";
  ASSERT_FALSE(fs::exists(out));
  fs::copy_file(out.string() + ".ckpt", dir / "kept.ckpt");

  // Resumed with --nproc 2 it completes, bit for bit where an uninterrupted 2-process run lands.
  // (Against one process the teacher's 190 steps drift by ~1e-3 — as far as one process with
  // 1 thread drifts from itself with 2: GEMM summation order, amplified by training.)
  const auto resumed = run_command(with({kDistill, "train", "--role", "teacher", "--resume",
                                         "--nproc", "2", "--threads-per-proc", "1",
                                         "--master-port", "29615", "-o", out.string()},
                                        settings));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto uninterrupted = run_command(with({kDistill, "train", "--role", "teacher", "--nproc",
                                               "2", "--threads-per-proc", "1", "--master-port",
                                               "29617", "-o", (dir / "uninterrupted.pt").string()},
                                              settings));
  ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.output;
  EXPECT_EQ(largest_difference(out, dir / "uninterrupted.pt").first, 0.0);

  // The same checkpoint resumed by one process: it continues after the saved epoch and finishes.
  fs::create_directories(dir / "alone");
  fs::copy_file(dir / "kept.ckpt", dir / "alone" / "teacher.pt.ckpt");
  const auto alone = run_command(with({kDistill, "train", "--role", "teacher", "--resume", "-j",
                                       "1", "-o", (dir / "alone" / "teacher.pt").string()},
                                      settings));
  ASSERT_EQ(alone.exit_code, 0) << alone.output;
  const auto record = nlohmann::json::parse(testing::read_bytes(dir / "alone" / "teacher.training.json"));
  EXPECT_GE(record.at("resumed_after_epoch").get<int>(), 1) << "it started over: " << record.dump();
  EXPECT_EQ(record.at("epochs_run").get<int>(), 6);
}

TEST(DataParallel, LaunchMistakesAreRefusedBeforeAnyWork) {
  testing::TempDir dir;
  const auto bad_rank = run_command(with(
      {"/usr/bin/env", "RANK=2", "WORLD_SIZE=2", kDistill, "train", "-o", (dir / "m.pt").string()},
      small_data()));
  EXPECT_EQ(bad_rank.exit_code, 1);
  EXPECT_NE(bad_rank.output.find("RANK = '2': expected an integer in [0, 1]"), std::string::npos)
      << bad_rank.output;

  // Nobody serves the rendezvous: rank 1 gives up after the timeout, naming the address.
  const auto no_master = run_command(with(
      {"/usr/bin/env", "RANK=1", "WORLD_SIZE=2", "MASTER_PORT=29616",
       "DISTILL_DISTRIBUTED_TIMEOUT=3", kDistill, "train", "-o", (dir / "m.pt").string()},
      small_data()));
  EXPECT_EQ(no_master.exit_code, 1);
  EXPECT_NE(no_master.output.find("rank 1 could not reach the rendezvous at 127.0.0.1:29616"),
            std::string::npos) << no_master.output;
  EXPECT_FALSE(fs::exists(dir / "m.pt"));

  // The rendezvous port is taken: rank 0 says which and what to do.
  {
    const int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(socket_fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(29619);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(socket_fd, 1), 0);
    const auto taken = run_command(with({"/usr/bin/env", "RANK=0", "WORLD_SIZE=2",
                                         "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29619", kDistill,
                                         "train", "-o", (dir / "m.pt").string()},
                                        small_data()));
    ::close(socket_fd);
    EXPECT_EQ(taken.exit_code, 1);
    EXPECT_NE(taken.output.find("rank 0 could not serve the rendezvous at 127.0.0.1:29619"),
              std::string::npos) << taken.output;
    EXPECT_NE(taken.output.find("choose a free port"), std::string::npos) << taken.output;
  }

  // Two ranks started with different WORLD_SIZEs: both say so, naming both values.
  const auto launch = [&](int rank, int world) {
    return run_command(with({"/usr/bin/env", "RANK=" + std::to_string(rank),
                             "WORLD_SIZE=" + std::to_string(world), "MASTER_PORT=29618",
                             "DISTILL_DISTRIBUTED_TIMEOUT=20", kDistill, "train", "-o",
                             (dir / "m.pt").string()},
                            small_data()));
  };
  testing::CommandResult rank1;
  std::thread other([&] { rank1 = launch(1, 3); });
  const auto rank0 = launch(0, 2);
  other.join();
  EXPECT_EQ(rank0.exit_code, 1);
  EXPECT_NE(rank0.output.find("rank 0 was started with WORLD_SIZE = 2 but rank 1 with WORLD_SIZE = 3"),
            std::string::npos) << rank0.output;
  EXPECT_EQ(rank1.exit_code, 1);
  EXPECT_NE(rank1.output.find("rank 1 was started with WORLD_SIZE = 3 but rank 0 with WORLD_SIZE = 2"),
            std::string::npos) << rank1.output;
  EXPECT_FALSE(fs::exists(dir / "m.pt"));
}

}  // namespace
}  // namespace distill
