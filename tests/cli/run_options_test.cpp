// Options of `distill run` that change what it does, each through the whole pipeline on tiny
// data: fine-tuning after distillation, cached against live teacher outputs, and a FitNets run
// resumed (reused when unchanged, refused when a hint changed). Runs the CLI.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "cli_arguments.h"
#include "test_support.h"

namespace distill {
namespace {

using testing::read_bytes;
using testing::run_command;
using testing::TempDir;

const std::string kDistill = DISTILL_EXECUTABLE;

std::vector<std::string> tiny_run(const std::string& out, const std::vector<std::string>& extra) {
  std::vector<std::string> args = testing::with_settings(
      {kDistill, "run", "-q", "-j", "1", "-o", out},
      {"data.train_limit=1000", "data.validation_size=200", "data.test_limit=500",
       "teacher.model.hidden=[128, 64]", "teacher.train.epochs=2", "student.train.epochs=2",
       "quantize.enabled=false", "evaluation.speed=false"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

nlohmann::json results_of(const std::filesystem::path& run) {
  std::ifstream in(run / "results.json");
  return nlohmann::json::parse(in);
}

TEST(RunOptions, FinetuningAddsLabelEpochsAfterDistillation) {
  TempDir dir;
  const auto r = run_command(tiny_run((dir / "run").string(), {"--set", "distill.finetune_epochs=1",
                                                               "--set", "distill.finetune_lr=0.01"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto distilled = results_of(dir / "run")["models"]["student_distilled"]["training"];
  EXPECT_EQ(distilled["objective"], "kd(T=1, alpha=0.1) + finetune(1 epochs)");
  ASSERT_EQ(distilled["history"].size(), 3u);  // 2 distillation epochs + 1 on labels
  // The fine-tuning epoch runs from finetune_lr down its own cosine schedule; the distillation
  // epochs from student.train.lr (0.05).
  EXPECT_LE(distilled["history"][2]["learning_rate"].get<double>(), 0.01);
  EXPECT_GT(distilled["history"][0]["learning_rate"].get<double>(), 0.01);
}

TEST(RunOptions, TheBaselineTrainsWithItsOwnRecipeAndTheDistilledStudentDoesNotDependOnIt) {
  TempDir dir;
  const std::string out = (dir / "run").string();
  const std::vector<std::string> baseline_recipe = {"--set", "student.baseline_train.epochs=3",
                                                    "--set", "student.baseline_train.lr=0.01"};
  const auto r = run_command(tiny_run(out, baseline_recipe));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto models = results_of(dir / "run")["models"];
  const auto baseline = models["student_baseline"]["training"];
  const auto distilled = models["student_distilled"]["training"];
  ASSERT_EQ(baseline["history"].size(), 3u);
  ASSERT_EQ(distilled["history"].size(), 2u);  // student.train.epochs
  // Cosine from the baseline's own rate (0.01) and from student.train.lr (0.05).
  EXPECT_LE(baseline["history"][0]["learning_rate"].get<double>(), 0.01);
  EXPECT_GT(distilled["history"][0]["learning_rate"].get<double>(), 0.01);

  // Another baseline recipe, with the baseline's files removed: the resumed run trains the
  // baseline again and reuses the teacher and the distilled student as they are.
  const auto distilled_before = read_bytes(dir / "run" / "student_distilled.pt");
  std::filesystem::remove(dir / "run" / "student_baseline.pt");
  std::filesystem::remove(dir / "run" / "student_baseline.training.json");
  std::vector<std::string> changed = tiny_run(out, {"--set", "student.baseline_train.epochs=1",
                                                    "--set", "student.baseline_train.lr=0.01",
                                                    "--resume"});
  const auto resumed = run_command(changed);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(results_of(dir / "run")["models"]["student_baseline"]["training"]["history"].size(),
            1u);
  EXPECT_EQ(read_bytes(dir / "run" / "student_distilled.pt"), distilled_before);
}

TEST(RunOptions, CachedAndLiveTeacherOutputsTrainTheSameStudent) {
  TempDir dir;
  const auto cached = run_command(
      tiny_run((dir / "cached").string(), {"--set", "distill.teacher_outputs=cached"}));
  ASSERT_EQ(cached.exit_code, 0) << cached.output;
  const auto live =
      run_command(tiny_run((dir / "live").string(), {"--set", "distill.teacher_outputs=live"}));
  ASSERT_EQ(live.exit_code, 0) << live.output;
  EXPECT_FALSE(std::filesystem::is_empty(dir / "cached" / "soft-label-cache"));
  EXPECT_FALSE(std::filesystem::exists(dir / "live" / "soft-label-cache"));
  // The same teacher (same seed and data), so the same soft labels up to the cache's float16
  // rounding: the two students agree on almost every test image.
  const auto a = results_of(dir / "cached")["models"], b = results_of(dir / "live")["models"];
  EXPECT_EQ(a["teacher"]["test"]["accuracy"], b["teacher"]["test"]["accuracy"]);
  EXPECT_NEAR(a["student_distilled"]["test"]["accuracy"].get<double>(),
              b["student_distilled"]["test"]["accuracy"].get<double>(), 0.01);
  EXPECT_NEAR(a["student_distilled"]["test"]["agreement_with_teacher"].get<double>(),
              b["student_distilled"]["test"]["agreement_with_teacher"].get<double>(), 0.01);
}

TEST(RunOptions, NoValidationSplitKeepsTheLastEpochAndResumes) {
  // validation_size 0 (the peer's recipe): no model selection; --resume still fingerprints
  // the (empty) validation split.
  TempDir dir;
  const std::string out = (dir / "run").string();
  const auto r = run_command(tiny_run(out, {"--set", "data.validation_size=0"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto distilled = results_of(dir / "run")["models"]["student_distilled"]["training"];
  EXPECT_EQ(distilled["best_epoch"], 2);
  const auto resumed = run_command(tiny_run(out, {"--set", "data.validation_size=0", "--resume"}));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
}

TEST(RunOptions, AFitNetsRunResumesOnlyWithItsOwnHints) {
  TempDir dir;
  const std::vector<std::string> hints = {
      "--set", "distill.features=[{kind: hint, student: hidden1, teacher: hidden2, weight: 1}]",
      "--set", "distill.hint_stage_epochs=1"};
  const std::string out = (dir / "run").string();
  ASSERT_EQ(run_command(tiny_run(out, hints)).exit_code, 0);
  const auto first = results_of(dir / "run");

  std::vector<std::string> again = hints;
  again.push_back("--resume");
  const auto reused = run_command(tiny_run(out, again));
  ASSERT_EQ(reused.exit_code, 0) << reused.output;
  const auto second = results_of(dir / "run");
  EXPECT_EQ(first["models"]["student_distilled"]["test"], second["models"]["student_distilled"]["test"]);
  EXPECT_EQ(first["models"]["student_distilled"]["training"]["objective"],
            second["models"]["student_distilled"]["training"]["objective"]);

  std::vector<std::string> heavier = {
      "--set", "distill.features=[{kind: hint, student: hidden1, teacher: hidden2, weight: 2}]",
      "--set", "distill.hint_stage_epochs=1", "--resume"};
  const auto refused = run_command(tiny_run(out, heavier));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("the finished stage 'student_distilled'"), std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("  distill.features[0].weight: 1 before, 2 now"), std::string::npos)
      << refused.output;
}

}  // namespace
}  // namespace distill
