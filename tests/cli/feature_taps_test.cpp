// Feature distillation (hints, attention transfer) from every kind of teacher a run can have:
// one it trains itself, a distill model file, a TorchScript module that exports its layers —
// and a clear error, before any training, for a teacher without the named layer. Runs the CLI.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "cli_arguments.h"
#include "test_support.h"

namespace distill {
namespace {

using testing::run_command;
using testing::TempDir;

const std::string kDistill = DISTILL_EXECUTABLE;

/// A FitNets run (student hidden1 -> teacher `teacher_tap`, one hint epoch) on tiny data.
std::vector<std::string> hint_run(const std::string& out, const std::string& teacher_tap,
                                  const std::vector<std::string>& extra) {
  std::vector<std::string> args = testing::with_settings(
      {kDistill, "run", "-q", "-j", "1", "-o", out},
      {"data.train_limit=800", "data.validation_size=100", "data.test_limit=200",
       "teacher.model.hidden=[64, 32]", "teacher.train.epochs=1", "student.train.epochs=1",
       "quantize.enabled=false", "evaluation.speed=false",
       "distill.features=[{kind: hint, student: hidden1, teacher: " + teacher_tap + ", weight: 1}]",
       "distill.hint_stage_epochs=1"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

nlohmann::json results_of(const std::filesystem::path& run) {
  std::ifstream in(run / "results.json");
  return nlohmann::json::parse(in);
}

TEST(FeatureTaps, HintsFromATeacherTrainedInTheRunAndFromItsFile) {
  TempDir dir;
  const auto trained = run_command(hint_run((dir / "trained").string(), "hidden2", {}));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_NE(results_of(dir / "trained")["models"]["student_distilled"]["objective"]
                .get<std::string>()
                .find("hint(hidden1->hidden2, w=1) for 1 epochs, then kd"),
            std::string::npos);

  const std::string teacher = (dir / "trained" / "teacher.pt").string();
  const auto loaded =
      run_command(hint_run((dir / "loaded").string(), "hidden2", {"--set", "teacher.load=" + teacher}));
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  EXPECT_EQ(results_of(dir / "loaded")["models"]["teacher"]["objective"],
            "(loaded from " + teacher + ")");
}

TEST(FeatureTaps, ATrainedTeacherWithoutTheLayerIsRefusedBeforeTraining) {
  TempDir dir;
  const auto r = run_command(hint_run((dir / "run").string(), "hidden3", {}));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("error: distill.features[0] hint(hidden1->hidden3, w=1): the teacher "
                          "(mlp 784-64-32-10 relu dropout 0.2; teacher.model, trained by this run) has no "
                          "layer 'hidden3'; its layers are: hidden1, hidden2, logits"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("hint: name one of the teacher's layers"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run" / "teacher.pt")) << "trained before refusing";
}

TEST(FeatureTaps, AStudentWithoutTheLayerIsRefused) {
  TempDir dir;
  const auto r = run_command(hint_run((dir / "run").string(), "hidden2",
                                      {"--set", "student.model.hidden=[]"}));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("the student (mlp 784-10 relu; student.model) has no layer 'hidden1'; "
                          "its layers are: logits"),
            std::string::npos)
      << r.output;
}

/// Saves a scripted MLP teacher 784-48-10 to `path`; with `taps`, it exports its hidden layer.
void save_torchscript_teacher(const TempDir& dir, const std::string& path, bool taps) {
  std::string script = R"(
import sys, torch
from typing import Dict
torch.manual_seed(0)
class Teacher(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 48)
        self.fc2 = torch.nn.Linear(48, 10)
    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))
)";
  if (taps)
    script += R"(
    @torch.jit.export
    def taps(self, x) -> Dict[str, torch.Tensor]:
        h = torch.relu(self.fc1(x.flatten(1)))
        return {"hidden": h, "logits": self.fc2(h)}
)";
  script += "torch.jit.script(Teacher().eval()).save(sys.argv[1])\n";
  testing::write_bytes(dir / "save_teacher.py", script);
  const auto saved = run_command({"/usr/bin/python3", (dir / "save_teacher.py").string(), path});
  ASSERT_EQ(saved.exit_code, 0) << saved.output;
}

TEST(FeatureTaps, TorchScriptTeachersOfferTheLayersTheyExport) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  TempDir dir;
  const std::string with_taps = (dir / "with_taps.pt").string();
  save_torchscript_teacher(dir, with_taps, true);
  const auto r = run_command(
      hint_run((dir / "run").string(), "hidden", {"--set", "teacher.load=" + with_taps}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(results_of(dir / "run")["models"]["student_distilled"]["objective"]
                .get<std::string>()
                .find("hint(hidden1->hidden, w=1)"),
            std::string::npos);

  const std::string plain = (dir / "plain.pt").string();
  save_torchscript_teacher(dir, plain, false);
  const auto refused = run_command(
      hint_run((dir / "refused").string(), "hidden", {"--set", "teacher.load=" + plain}));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("; teacher.load '" + plain + "') has no layer 'hidden'; its "
                                "layers are: logits"),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("hint: export `taps(self, x) -> Dict[str, Tensor]`"),
            std::string::npos)
      << refused.output;
}

}  // namespace
}  // namespace distill
