// The distill executable: exit codes, messages and a short end-to-end run. This test binary
// does not link libtorch; it runs the CLI as a child process.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_support.h"

namespace distill {
namespace {

using testing::run_command;
using testing::TempDir;

const std::string kDistill = DISTILL_EXECUTABLE;

TEST(Cli, HelpSucceedsAndListsTheSubcommands) {
  const auto r = run_command({kDistill, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command : {"run", "train", "distill", "evaluate", "describe", "config", "quantize",
                              "export", "bench"})
    EXPECT_NE(r.output.find(command), std::string::npos) << command;
  EXPECT_EQ(run_command({kDistill, "run", "--help"}).exit_code, 0);
}

TEST(Cli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run_command({kDistill}).exit_code, 2);
  EXPECT_EQ(run_command({kDistill, "frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_command({kDistill, "train", "--role", "teacher"}).exit_code, 2);  // no --out
}

TEST(Cli, BadConfigExitsWithOneAndNamesTheKey) {
  TempDir dir;
  testing::write_bytes(dir / "bad.yaml", "student:\n  train:\n    epochs: -1\n");
  const auto r = run_command({kDistill, "run", "-q", "-c", (dir / "bad.yaml").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "error: config '" + (dir / "bad.yaml").string() +
                          "': student.train.epochs = -1: expected >= 1\n");
}

TEST(Cli, UnknownKeyGetsAHint) {
  const auto r = run_command({kDistill, "run", "-q", "--set", "distill.temprature=2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("error: config 'built-in default': unknown key 'distill.temprature'"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("hint: did you mean 'distill.temperature'?"), std::string::npos) << r.output;
}

TEST(Cli, MissingConfigFileHasAHint) {
  const auto r = run_command({kDistill, "run", "-c", "/nonexistent.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output,
            "error: config file '/nonexistent.yaml' does not exist\n"
            "hint: `distill config > my.yaml` writes the default config to start from\n");
}

TEST(Cli, MissingDatasetNamesTheFileAndThePackage) {
  const auto r = run_command({kDistill, "run", "-q", "--set", "data.dir=/nonexistent"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("'/nonexistent/train-images-idx3-ubyte.gz': no such file"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("apt-get install dataset-fashion-mnist"), std::string::npos);
}

TEST(Cli, CorruptModelFileIsAnErrorNotACrash) {
  TempDir dir;
  testing::write_bytes(dir / "junk.pt", std::string(1000, 'z'));
  const auto r = run_command({kDistill, "evaluate", "-q", "-m", (dir / "junk.pt").string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("error: '" + (dir / "junk.pt").string() + "' is not a distill-model file", 0), 0u)
      << r.output;
}

TEST(Cli, ConfigPrintsTheDefaultThatRunUses) {
  const auto r = run_command({kDistill, "config"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("hidden: [1200, 1200]"), std::string::npos);
}

TEST(Cli, DescribeReportsParametersOfTheConfigsStudent) {
  const auto r = run_command({kDistill, "describe", "--role", "student"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("parameters:   79510"), std::string::npos) << r.output;
}

// The whole pipeline on 3000 training images: every stage runs, the files appear and the JSON
// holds sensible values; then the per-stage commands work on the files it wrote.
TEST(Cli, ShortEndToEndRunWritesModelsAndResults) {
  TempDir dir;
  const std::string out = (dir / "run").string();
  const auto r = run_command({kDistill, "run", "-q", "-o", out, "--set", "data.train_limit=3000",
                              "--set", "data.validation_size=500", "--set", "data.test_limit=1000",
                              "--set", "teacher.model.hidden=[256]", "--set",
                              "teacher.train.epochs=3", "--set", "student.train.epochs=3",
                              "--set", "evaluation.latency_repetitions=20"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("student (distilled)"), std::string::npos) << r.output;
  for (const char* file : {"teacher.pt", "student_baseline.pt", "student_distilled.pt",
                           "config.yaml", "results.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / file)) << file;
  EXPECT_FALSE(std::filesystem::exists(dir / "run" / "checkpoints"));

  std::ifstream in(dir / "run" / "results.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["data"]["train_samples"], 2500);
  EXPECT_EQ(j["data"]["test_samples"], 1000);
  for (const char* key : {"teacher", "student_baseline", "student_distilled"}) {
    const auto& m = j["models"][key];
    EXPECT_GT(m["test"]["accuracy"].get<double>(), 0.70) << key;
    EXPECT_LE(m["test"]["accuracy"].get<double>(), 1.0) << key;
    EXPECT_GT(m["test"]["mean_nll"].get<double>(), 0.0) << key;
    EXPECT_GT(m["speed"]["throughput_per_s"].get<double>(), 0.0) << key;
    EXPECT_EQ(m["training"]["epochs_run"], 3) << key;
  }
  EXPECT_EQ(j["models"]["student_distilled"]["parameters"], 79510);
  EXPECT_GT(j["models"]["student_distilled"]["test"]["agreement_with_teacher"].get<double>(), 0.7);
  // Both int8 students: post-training quantization within a point of the fp32 student, and
  // distill-while-quantizing on QAT's own loss (quantize.qat_temperature/qat_alpha) no more
  // than a point below it (its two more epochs may also lift a student trained this briefly).
  const double fp32 = j["models"]["student_distilled"]["test"]["accuracy"].get<double>();
  EXPECT_NEAR(j["models"]["student_int8"]["test"]["accuracy"].get<double>(), fp32, 0.01);
  EXPECT_GE(j["models"]["student_int8_qat"]["test"]["accuracy"].get<double>(), fp32 - 0.01);
  EXPECT_EQ(j["models"]["student_int8_qat"]["objective"],
            "kd(T=1, alpha=0.5) while quantizing (2 epochs)");
  EXPECT_EQ(j["models"]["student_int8_qat"]["training"]["epochs_run"], 2);

  // --resume reuses every finished stage and reproduces the same results.
  const auto again = run_command({kDistill, "run", "-q", "--resume", "-o", out, "-c",
                                  (dir / "run" / "config.yaml").string(), "--set",
                                  "evaluation.speed=false"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  std::ifstream in2(dir / "run" / "results.json");
  const nlohmann::json j2 = nlohmann::json::parse(in2);
  EXPECT_EQ(j2["models"]["student_distilled"]["test"]["accuracy"],
            j["models"]["student_distilled"]["test"]["accuracy"]);
  EXPECT_EQ(j2["models"]["teacher"]["training"]["seconds"], j["models"]["teacher"]["training"]["seconds"]);

  // The stage commands on the files the run wrote.
  const auto evaluated = run_command({kDistill, "evaluate", "-q", "--no-speed", "--set",
                                      "data.test_limit=1000", "-m", out + "/student_distilled.pt",
                                      "-t", out + "/teacher.pt", "--json", out + "/eval.json"});
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
  std::ifstream in3(dir / "run" / "eval.json");
  const nlohmann::json j3 = nlohmann::json::parse(in3);
  EXPECT_EQ(j3["models"]["model"]["test"]["accuracy"],
            j["models"]["student_distilled"]["test"]["accuracy"]);
  EXPECT_EQ(j3["models"]["model"]["test"]["agreement_with_teacher"],
            j["models"]["student_distilled"]["test"]["agreement_with_teacher"]);
  const auto described = run_command({kDistill, "describe", "-m", out + "/teacher.pt"});
  EXPECT_EQ(described.exit_code, 0);
  EXPECT_NE(described.output.find("mlp 784-256-10"), std::string::npos) << described.output;

  // A saved teacher reused by a new run (teacher.load) gives the same teacher figures.
  const auto loaded = run_command({kDistill, "run", "-q", "-o", out + "-loaded", "-c",
                                   (dir / "run" / "config.yaml").string(), "--set",
                                   "teacher.load=" + out + "/teacher.pt", "--set",
                                   "evaluation.speed=false"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  std::ifstream in4(dir / "run-loaded" / "results.json");
  const nlohmann::json j4 = nlohmann::json::parse(in4);
  EXPECT_EQ(j4["models"]["teacher"]["test"]["accuracy"], j["models"]["teacher"]["test"]["accuracy"]);
  EXPECT_TRUE(j4["models"]["teacher"]["training"].is_null());
}

// A teacher written in PyTorch (TorchScript, saved by /usr/bin/python3 here) distils a student
// through the whole pipeline.
TEST(Cli, TorchScriptTeacherFromPyTorchDistils) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  TempDir dir;
  const std::string teacher = (dir / "pytorch_teacher.pt").string();
  // (torch.jit.script reads the module's source: a script file, not `python3 -c`.)
  testing::write_bytes(dir / "save_teacher.py", R"(
import sys, torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
torch.jit.script(net.eval()).save(sys.argv[1])
)");
  const auto saved =
      run_command({"/usr/bin/python3", (dir / "save_teacher.py").string(), teacher});
  ASSERT_EQ(saved.exit_code, 0) << saved.output;
  const std::string out = (dir / "run").string();
  const auto r = run_command({kDistill, "run", "-q", "-o", out, "-j", "1", "--set",
                              "teacher.load=" + teacher, "--set", "data.train_limit=2000",
                              "--set", "data.validation_size=200", "--set", "data.test_limit=300",
                              "--set", "student.train.epochs=1", "--set", "quantize.enabled=false",
                              "--set", "evaluation.speed=false"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir / "run" / "results.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["models"]["teacher"]["objective"], "(loaded from " + teacher + ")");
  EXPECT_EQ(j["models"]["teacher"]["parameters"], 784 * 64 + 64 + 64 * 10 + 10);
  EXPECT_TRUE(j["models"]["student_distilled"]["test"]["agreement_with_teacher"].is_number());

  // A file that is neither kind is refused by name.
  testing::write_bytes(dir / "junk.pt", "not a model");
  const auto junk = run_command({kDistill, "run", "-q", "-o", out + "-junk", "--set",
                                 "teacher.load=" + (dir / "junk.pt").string()});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_NE(junk.output.find("junk.pt"), std::string::npos) << junk.output;
}

// A MobileNet-style student through the pipeline: its int8 version (batch norm folded, static
// post-training quantization) is written as a version-2 file and evaluated by the runtime; the
// fp32 and int8 rows are timed on the same engine (oneDNN).
TEST(Cli, CnnStudentIsQuantizedForTheRuntime) {
  TempDir dir;
  const std::string out = (dir / "run").string();
  const auto r = run_command({kDistill, "run", "-q", "-o", out, "-j", "1", "--set",
                              "data.train_limit=3000", "--set", "data.validation_size=300", "--set",
                              "data.test_limit=500", "--set", "teacher.model.hidden=[128]", "--set",
                              "teacher.train.epochs=2", "--set", "student.model.type=mobilenet",
                              "--set", "student.model.channels=[8, 16]", "--set",
                              "student.train.epochs=4", "--set", "student.train.lr=0.2", "--set",
                              "evaluation.latency_repetitions=5", "--set",
                              "evaluation.throughput_repetitions=2", "--set",
                              "evaluation.throughput_batch=32", "--set", "evaluation.speed_rounds=1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(out + "/results.json");
  const nlohmann::json results = nlohmann::json::parse(in);
  const auto& models = results.at("models");
  ASSERT_TRUE(models.contains("student_int8")) << models.dump();
  const double fp32 = models.at("student_distilled").at("test").at("accuracy").get<double>();
  EXPECT_GT(fp32, 0.3);  // learned something, so the comparison means something
  // Post-training quantization, and quantization-aware training of the folded network.
  for (const char* key : {"student_int8", "student_int8_qat"}) {
    ASSERT_TRUE(models.contains(key)) << models.dump();
    EXPECT_NEAR(models.at(key).at("test").at("accuracy").get<double>(), fp32, 0.03) << key;
  }
  EXPECT_NE(models.at("student_int8_qat").at("architecture").get<std::string>().find(
                "quantization-aware trained"),
            std::string::npos);
  EXPECT_GT(models.at("student_int8").at("test").at("agreement_with_teacher").get<double>(), 0.0);
  // Every row is timed, each on its engine: the MLP teacher on libtorch, the CNN students'
  // fp32 rows folded on oneDNN (the int8 runtime's engine), the int8 rows by the runtime.
  const std::vector<std::pair<const char*, const char*>> engines = {
      {"teacher", "libtorch"},
      {"student_baseline", "fp32 oneDNN, batch norm folded"},
      {"student_distilled", "fp32 oneDNN, batch norm folded"},
      {"student_int8", "int8 runtime"},
      {"student_int8_qat", "int8 runtime"}};
  for (const auto& [key, engine] : engines) {
    EXPECT_EQ(models.at(key).at("speed").at("engine"), engine) << key;
    EXPECT_GT(models.at(key).at("speed").at("throughput_per_s").get<double>(), 0.0) << key;
  }
  std::ifstream file(out + "/student_distilled.int8", std::ios::binary);
  char preamble[12] = {};
  file.read(preamble, 12);
  EXPECT_EQ(std::string(preamble, 8), "DSTLINT8");
  EXPECT_EQ(preamble[8], 2);  // format version 2: convolutions

  // The deployment step on the same student: the file is written, reloaded and checked.
  const auto exported = run_command({kDistill, "export", "-q", "-m", out + "/student_distilled.pt",
                                     "-o", out + "/exported.int8", "--set", "data.train_limit=3000",
                                     "--set", "data.validation_size=300"});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_NE(exported.output.find("batch norm folded"), std::string::npos) << exported.output;
  EXPECT_NE(exported.output.find("the reloaded file agrees with fp32 on"), std::string::npos)
      << exported.output;
  EXPECT_TRUE(std::filesystem::exists(out + "/exported.int8"));

  const auto refused = run_command({kDistill, "run", "-q", "-o", out + "-dynamic", "--set",
                                    "student.model.type=mobilenet", "--set",
                                    "quantize.activations=dynamic", "--set",
                                    "quantize.qat_epochs=0"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("hint: set quantize.activations: static for a mobilenet student"),
            std::string::npos)
      << refused.output;
}

// Quantization-aware training that hurts (a learning rate far too high) still writes its file,
// and the run says that post-training quantization scored better on the validation split.
TEST(Cli, QatWorseThanPostTrainingQuantizationIsReported) {
  TempDir dir;
  const std::string out = (dir / "run").string();
  const auto r = run_command({kDistill, "run", "-q", "-o", out, "-j", "1", "--set",
                              "data.train_limit=3000", "--set", "data.validation_size=500",
                              "--set", "data.test_limit=500", "--set", "teacher.model.hidden=[64]",
                              "--set", "teacher.train.epochs=2", "--set", "student.train.epochs=2",
                              "--set", "evaluation.speed=false", "--set", "quantize.qat_lr=2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: distill-while-quantizing ended below post-training quantization "
                          "on the validation split"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("a lower quantize.qat_lr (now 2) may help"), std::string::npos)
      << r.output;
  EXPECT_TRUE(std::filesystem::exists(out + "/student_int8_qat.int8"));
}

// SIGKILL in the middle of training, then --resume: the model file ends up byte-identical to
// that of an uninterrupted run with the same seed.
TEST(Cli, KilledTrainingResumesToTheSameModel) {
  TempDir dir;
  const std::vector<std::string> common = {
      "--set", "data.train_limit=4000", "--set", "data.validation_size=500", "--set",
      "data.test_limit=500", "--set", "teacher.model.hidden=[256, 256]", "--set",
      "teacher.train.epochs=40", "--set", "evaluation.speed=false", "-q", "-j", "1"};
  auto train_args = [&](const std::string& out, bool resume) {
    std::vector<std::string> args = {kDistill, "train", "--role", "teacher", "-o", out};
    args.insert(args.end(), common.begin(), common.end());
    if (resume) args.push_back("--resume");
    return args;
  };
  const std::string reference = (dir / "reference.pt").string();
  ASSERT_EQ(run_command(train_args(reference, false)).exit_code, 0);

  const std::string resumed = (dir / "resumed.pt").string();
  const int pid = testing::spawn_detached(train_args(resumed, false));
  ASSERT_GT(pid, 0);
  // Wait for the checkpoint of at least one finished epoch (written atomically, so complete
  // once it exists), then kill without warning: with 40 short epochs, mid-training.
  for (int i = 0; i < 3000 && !std::filesystem::exists(resumed + ".ckpt"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  testing::kill_and_reap(pid);
  ASSERT_TRUE(std::filesystem::exists(resumed + ".ckpt")) << "no checkpoint before the kill";
  ASSERT_FALSE(std::filesystem::exists(resumed)) << "training finished before the kill";

  const auto r = run_command(train_args(resumed, true));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(testing::read_bytes(resumed) == testing::read_bytes(reference)) << "resumed model differs from the reference";
  EXPECT_FALSE(std::filesystem::exists(resumed + ".ckpt"));
}

// Tabular data through the whole pipeline: a CSV file whose label is the index of the largest of
// four features, an MLP teacher and student, no image-only options.
TEST(Cli, CsvDatasetRunsThroughThePipeline) {
  TempDir dir;
  for (const char* split : {"train", "test"}) {
    std::string csv = "f0,f1,f2,f3,label\n";
    unsigned state = split[1] == 'r' ? 1u : 2u;
    const int rows = split[1] == 'r' ? 1200 : 300;
    for (int r = 0; r < rows; ++r) {
      int best = 0;
      double values[4], top = -1;
      for (int c = 0; c < 4; ++c) {
        state = state * 1103515245u + 12345u;
        values[c] = static_cast<double>((state >> 8) % 1000) / 100.0;
        if (values[c] > top) top = values[c], best = c;
      }
      csv += std::to_string(values[0]) + "," + std::to_string(values[1]) + "," +
             std::to_string(values[2]) + "," + std::to_string(values[3]) + "," +
             std::to_string(best) + "\n";
    }
    testing::write_bytes(dir / (std::string(split) + ".csv"), csv);
  }
  const std::string out = (dir / "run").string();
  const auto r = run_command({kDistill, "run", "-q", "-o", out, "--set", "data.source=csv",
                              "--set", "data.train_csv=" + (dir / "train.csv").string(), "--set",
                              "data.test_csv=" + (dir / "test.csv").string(), "--set",
                              "data.num_classes=4", "--set", "data.validation_size=200", "--set",
                              "teacher.model.hidden=[64]", "--set", "teacher.train.epochs=15",
                              "--set", "student.model.hidden=[8]", "--set",
                              "student.train.epochs=15", "--set", "evaluation.speed=false"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir / "run" / "results.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["data"]["source"], "csv");
  EXPECT_EQ(j["data"]["test_samples"], 300);
  EXPECT_GT(j["models"]["teacher"]["test"]["accuracy"].get<double>(), 0.85);
  // 4 features -> 8 hidden -> 4 classes: 4*8 + 8 + 8*4 + 4 parameters.
  EXPECT_EQ(j["models"]["student_distilled"]["parameters"], 76);

  // This tabular teacher cannot teach on images: refused before any training.
  const auto mismatch = run_command({kDistill, "run", "-q", "-o", out + "-images", "--set",
                                     "teacher.load=" + out + "/teacher.pt"});
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_NE(mismatch.output.find("the teacher was trained on other data: its input "
                                 "normalisation has 4 channels/features but the data's samples "
                                 "have shape [1, 28, 28]"),
            std::string::npos) << mismatch.output;
}

}  // namespace
}  // namespace distill
