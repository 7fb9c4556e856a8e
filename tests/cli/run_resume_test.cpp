// `distill run --resume` never mixes two configs: a finished stage is reused only when the
// settings that made it are the ones given now, an interrupted stage continues only under the
// recipe that started it, and every refusal names the keys that differ. Runs the CLI.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli_arguments.h"
#include "test_support.h"

namespace distill {
namespace {

using testing::read_bytes;
using testing::run_command;
using testing::TempDir;

const std::string kDistill = DISTILL_EXECUTABLE;

/// A small run of the built-in pipeline into `out`, with `extra` settings after the common ones.
std::vector<std::string> run_args(const std::string& out, const std::vector<std::string>& extra) {
  std::vector<std::string> args = testing::with_settings(
      {kDistill, "run", "-q", "-j", "1", "-o", out},
      {"data.train_limit=1500", "data.validation_size=300", "data.test_limit=300",
       "teacher.model.hidden=[64]", "teacher.train.epochs=1", "student.train.epochs=1",
       "quantize.enabled=false", "evaluation.speed=false"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

class RunResume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto r = run_command(run_args(out(), {}));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string out() { return (*dir_ / "run").string(); }

  /// Resumes the finished run with `extra` and expects a refusal naming `stage` and `line`.
  static void expect_refused(const std::vector<std::string>& extra, const std::string& stage,
                             const std::string& line) {
    const std::string config_before = read_bytes(*dir_ / "run" / "config.yaml");
    const std::string results_before = read_bytes(*dir_ / "run" / "results.json");
    std::vector<std::string> args = run_args(out(), extra);
    args.push_back("--resume");
    const auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("error: --resume: the finished stage '" + stage + "'"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("\n" + line + "\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("hint: resume with the config that made it, write this run to a new "
                            "output directory (-o), or run without --resume"),
              std::string::npos)
        << r.output;
    // Nothing the finished run wrote is touched: its config still describes its models.
    EXPECT_EQ(read_bytes(*dir_ / "run" / "config.yaml"), config_before);
    EXPECT_EQ(read_bytes(*dir_ / "run" / "results.json"), results_before);
  }

  static TempDir* dir_;
};
TempDir* RunResume::dir_ = nullptr;

TEST_F(RunResume, AChangedStudentIsRefused) {
  expect_refused({"--set", "student.model.hidden=[50]"}, "student_baseline",
                 "  student.model.hidden[0]: 100 before, 50 now");
}

TEST_F(RunResume, AChangedTeacherRecipeIsRefusedAtTheTeacher) {
  expect_refused({"--set", "teacher.train.momentum=0.5"}, "teacher",
                 "  teacher.train.momentum: 0.9 before, 0.5 now");
}

TEST_F(RunResume, AnAddedKeyIsRefused) {
  expect_refused({"--set", "student.train.weight_decay=0.001"}, "student_baseline",
                 "  student.train.weight_decay: (not set) before, 0.001 now");
}

TEST_F(RunResume, AnotherBaselineRecipeIsRefusedAtTheBaseline) {
  expect_refused({"--set", "student.baseline_train.epochs=2"}, "student_baseline",
                 "  student.baseline_train.epochs: (not set) before, 2 now");
}

TEST_F(RunResume, OtherDataIsRefused) {
  expect_refused({"--set", "data.train_limit=1400"}, "teacher",
                 "  data.train_limit: 1500 before, 1400 now");
}

TEST_F(RunResume, AnotherDistillationRecipeIsRefusedAtTheDistilledStudentOnly) {
  expect_refused({"--set", "distill.temperature=4"}, "student_distilled",
                 "  distill.temperature: 1 before, 4 now");
}

TEST_F(RunResume, SettingsThatTrainNothingMayChange) {
  // Threads, evaluation and the int8 stages (which run again on every resume) are not part of
  // any stage's recipe: the run resumes, reusing every stage, and records the new config.
  std::vector<std::string> args =
      run_args(out() + "-copy", {"--set", "evaluation.batch_size=500"});
  std::filesystem::copy(out(), out() + "-copy", std::filesystem::copy_options::recursive);
  args.push_back("--resume");
  args.push_back("--set");
  args.push_back("threads=2");
  const auto r = run_command(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(read_bytes(out() + "-copy/config.yaml").find("batch_size: 500"), std::string::npos);
  EXPECT_EQ(read_bytes(out() + "/student_distilled.pt"), read_bytes(out() + "-copy/student_distilled.pt"));
}

TEST(RunResumeMidStage, AnInterruptedStageContinuesOnlyUnderItsOwnRecipe) {
  TempDir dir;
  const std::string out = (dir / "run").string();
  const std::vector<std::string> long_teacher = {"--set", "teacher.train.epochs=40", "--set",
                                                 "teacher.model.hidden=[256, 256]"};
  const int pid = testing::spawn_detached(run_args(out, long_teacher));
  ASSERT_GT(pid, 0);
  const auto checkpoint = dir / "run" / "checkpoints" / "teacher.ckpt";
  for (int i = 0; i < 6000 && !std::filesystem::exists(checkpoint); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  testing::kill_and_reap(pid);
  ASSERT_TRUE(std::filesystem::exists(checkpoint)) << "no checkpoint before the kill";
  ASSERT_FALSE(std::filesystem::exists(dir / "run" / "teacher.pt")) << "finished before the kill";

  std::vector<std::string> changed = long_teacher;
  changed.insert(changed.end(), {"--set", "teacher.train.weight_decay=0.001", "--resume"});
  const auto refused = run_command(run_args(out, changed));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("error: --resume: the interrupted stage 'teacher'"),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("\n  teacher.train.weight_decay: (not set) before, 0.001 now\n"),
            std::string::npos)
      << refused.output;
  EXPECT_TRUE(std::filesystem::exists(checkpoint)) << "the refusal must keep the checkpoint";
  EXPECT_NE(read_bytes(dir / "run" / "config.yaml").find("epochs: 40"), std::string::npos);
  EXPECT_EQ(read_bytes(dir / "run" / "config.yaml").find("weight_decay"), std::string::npos)
      << "config.yaml must still describe the interrupted run";

  std::vector<std::string> same = long_teacher;
  same.push_back("--resume");
  const auto resumed = run_command(run_args(out, same));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "run" / "results.json"));
}

}  // namespace
}  // namespace distill
