// distill.teacher_precision: int8 through `distill run`: the distilled student learns from the
// teacher's int8 model on augmented batches, and its training record carries the drift of those
// soft labels from the fp32 teacher's on the validation split; a live fp32 CNN teacher runs folded
// on oneDNN. Each record names the teacher's engine. Settings that cannot hold are refused before
// any work.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "cli_arguments.h"
#include "test_support.h"

namespace distill {
namespace {

using testing::run_command;

const std::string kDistill = DISTILL_EXECUTABLE;

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}

std::vector<std::string> small_run(const std::string& out, const std::vector<std::string>& extra) {
  std::vector<std::string> settings = {
      "data.train_limit=1500", "data.validation_size=300", "data.test_limit=300",
      "teacher.model.hidden=[128]", "teacher.train.epochs=2", "student.train.epochs=1",
      "quantize.enabled=false", "evaluation.speed=false",
      "student.train.augmentation.max_shift=1"};
  settings.insert(settings.end(), extra.begin(), extra.end());
  return testing::with_settings({kDistill, "run", "-q", "-j", "1", "-o", out}, settings);
}

TEST(Int8Teacher, TheDistilledStudentLearnsFromTheInt8TeacherAndItsDriftIsReported) {
  testing::TempDir dir;
  const auto r = run_command(small_run((dir / "run").string(),
                                       {"distill.teacher_precision=int8", "distill.temperature=2"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json results = read_json(dir / "run" / "results.json");
  const nlohmann::json& training = results.at("models").at("student_distilled").at("training");
  ASSERT_TRUE(training.contains("teacher_drift")) << training.dump(2);
  const nlohmann::json& drift = training.at("teacher_drift");
  EXPECT_EQ(drift.at("samples").get<int>(), 300);
  EXPECT_EQ(drift.at("temperature").get<double>(), 2.0);  // measured at distill.temperature
  EXPECT_GT(drift.at("top1_agreement").get<double>(), 0.9);
  EXPECT_GE(drift.at("mean_kl").get<double>(), 0.0);
  EXPECT_LT(drift.at("mean_kl").get<double>(), 0.05);
  EXPECT_EQ(training.at("teacher_engine").get<std::string>(), "int8 runtime");
  // The student learned something from it (10 classes: chance is 0.1).
  EXPECT_GT(results.at("models").at("student_distilled").at("test").at("accuracy").get<double>(), 0.5);
  // No soft-label cache: the int8 teacher ran live.
  EXPECT_FALSE(std::filesystem::exists(dir / "run" / "soft-label-cache"));
  // Without it, the record has no drift.
  const auto fp32 = run_command(small_run((dir / "fp32").string(), {}));
  ASSERT_EQ(fp32.exit_code, 0) << fp32.output;
  const nlohmann::json fp32_training =
      read_json(dir / "fp32" / "results.json").at("models").at("student_distilled").at("training");
  EXPECT_FALSE(fp32_training.contains("teacher_drift"));
  EXPECT_EQ(fp32_training.at("teacher_engine").get<std::string>(), "libtorch");  // an MLP, live
}

// A live CNN teacher runs as its folded inference network on the fast compute path, as libtorch's
// model on the reference path; the student learns from either, and the record says which ran.
TEST(Int8Teacher, ALiveCnnTeacherRunsFoldedOnOneDnnOnTheFastComputePath) {
  testing::TempDir dir;
  const std::vector<std::string> cnn_teacher = {
      "teacher.model.type=resnet", "teacher.model.channels=[8, 16]", "teacher.train.epochs=1",
      "teacher.train.lr=0.1"};
  std::vector<double> accuracies;
  for (const auto& [compute, engine] : std::vector<std::pair<std::string, std::string>>{
           {"fast", "fp32 oneDNN, batch norm folded"}, {"reference", "libtorch"}}) {
    std::vector<std::string> settings = cnn_teacher;
    settings.push_back("compute=" + compute);
    const auto r = run_command(small_run((dir / compute).string(), settings));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const nlohmann::json student = read_json(dir / compute / "results.json")
                                       .at("models").at("student_distilled");
    EXPECT_EQ(student.at("training").at("teacher_engine").get<std::string>(), engine) << compute;
    accuracies.push_back(student.at("test").at("accuracy").get<double>());
    EXPECT_GT(accuracies.back(), 0.3) << compute;  // learned something: 10 classes
  }
  // The same teacher function on both paths; the students differ only by rounding.
  EXPECT_NEAR(accuracies[0], accuracies[1], 0.03);
}

TEST(Int8Teacher, ConflictingSettingsAreRefusedBeforeAnyWork) {
  testing::TempDir dir;
  const auto cached = run_command(small_run(
      (dir / "a").string(), {"distill.teacher_precision=int8", "distill.teacher_outputs=cached",
                             "student.train.augmentation.max_shift=0"}));
  EXPECT_EQ(cached.exit_code, 1);
  EXPECT_NE(cached.output.find("distill.teacher_precision int8 runs the teacher live from its int8 "
                               "model; it cannot be combined with teacher_outputs: cached"),
            std::string::npos) << cached.output;
  const auto unknown = run_command(small_run((dir / "b").string(), {"distill.teacher_precision=int4"}));
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("teacher_precision"), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("int4"), std::string::npos) << unknown.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "a" / "results.json"));
}

}  // namespace
}  // namespace distill
