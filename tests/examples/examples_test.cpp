// Every config under examples/ run as a user runs it — `distill run -c FILE` (or, for the
// teacher configs, `distill train --role teacher -c FILE`) from a working directory of its own —
// on tiny data: a few hundred samples, one epoch, no speed timing. Each must exit 0 and write
// the rows its method promises. This binary does not link libtorch; it runs the CLI.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cli_arguments.h"
#include "test_support.h"

namespace distill {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;

const std::string kDistill = DISTILL_EXECUTABLE;
const fs::path kExamples = DISTILL_EXAMPLES_DIR;

/// What running an example must produce.
struct Promise {
  /// true: a teacher config, run with `distill train --role teacher`.
  bool teacher_only = false;
  /// Rows of results.json beyond teacher, student_baseline and student_distilled.
  std::vector<std::string> extra_rows;
  /// A piece of the distilled student's objective that shows the method ran ("" for none).
  std::string objective;
  /// Files the docs tell a user to make first: {config under examples/, path it is written to}.
  std::vector<std::pair<std::string, std::string>> prerequisite_teachers = {};
  /// Folders of the repository the example reads by relative path (from the repository root, as
  /// the docs run it), linked into the working directory.
  std::vector<std::string> repository_folders = {};
  /// Settings beyond tiny_overrides() that keep the example quick.
  std::vector<std::string> settings = {};
};

/// One entry per file under examples/ (an example without one fails `EveryExampleHasAPromise`).
const std::map<std::string, Promise>& promises() {
  static const std::map<std::string, Promise> table = {
      {"default.yaml", {false, {"student_int8", "student_int8_qat"}, "kd(T=1, alpha=0.1)", {}}},
      {"methods/born_again.yaml", {false, {"born_again_g1"}, "", {}}},
      {"methods/cnn_attention.yaml", {false, {}, "attention(stage1->stage1", {}}},
      {"methods/cnn_qat.yaml", {false, {"student_int8", "student_int8_qat"}, "", {}}},
      {"methods/cnn_under_100k.yaml",
       {false, {"student_int8", "student_int8_qat"}, "kd(T=4, alpha=0.5)", {}}},
      {"methods/cnn_vanilla.yaml", {false, {}, "kd(T=1, alpha=0)", {}}},
      {"methods/fitnets.yaml", {false, {}, "hint(hidden1->hidden2, w=1) for 2 epochs, then kd", {}}},
      {"methods/hinton.yaml", {false, {}, "kd(T=4, alpha=0.1)", {}}},
      {"methods/multi_teacher.yaml",
       {false,
        {},
        "2 teachers, confidence",
        {{"methods/teacher_mlp_second.yaml", "runs/teacher_second.pt"}}}},
      {"methods/prune_magnitude.yaml", {false, {"student_pruned"}, "", {}}},
      {"methods/prune_neurons.yaml", {false, {"student_pruned"}, "", {}}},
      {"methods/pseudo_label.yaml", {false, {}, "pseudo-label", {}}},
      {"methods/qat.yaml", {false, {"student_int8", "student_int8_qat"}, "", {}}},
      {"methods/rkd.yaml", {false, {}, "rkd_distance(logits->logits", {}}},
      {"methods/teacher_cnn.yaml", {true, {}, "", {}}},
      {"methods/teacher_free.yaml", {false, {"student_teacher_free"}, "", {}}},
      {"methods/teacher_mlp.yaml", {true, {}, "", {}}},
      {"methods/teacher_mlp_second.yaml", {true, {}, "", {}}},
      {"methods/vanilla.yaml", {false, {}, "kd(T=1, alpha=0)", {}}},
      // The whole Debian corpus (every class must be in the training split), with small models,
      // short texts and a small vocabulary.
      {"text.yaml",
       {false,
        {"student_int8"},
        "augmented copies each",
        {},
        {"data"},
        {"data.train_limit=0", "data.test_limit=0", "data.text.max_tokens=16",
         "data.text.tokenizer.vocab_size=400", "teacher.model.embedding_dim=16",
         "teacher.model.layers=1", "teacher.model.heads=2", "teacher.model.feed_forward=16",
         "student.model.bigram_buckets=1000", "distill.transfer_set.copies=1"}}},
  };
  return table;
}

/// Every .yaml under examples/, as a path relative to it ("methods/fitnets.yaml").
std::vector<std::string> example_configs() {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(kExamples))
    if (entry.is_regular_file() && entry.path().extension() == ".yaml")
      names.push_back(fs::relative(entry.path(), kExamples).generic_string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Tiny data and one epoch: every example runs in seconds. Keys a config does not use are
/// harmless (they only override defaults).
std::vector<std::string> tiny_overrides() {
  return testing::with_settings(
      {"-q", "-j", "1"},
      {"data.train_limit=600", "data.validation_size=100", "data.test_limit=200",
       "teacher.train.epochs=1", "teacher.train.warmup_epochs=0", "student.train.epochs=1",
       "student.train.warmup_epochs=0", "student.baseline_train.epochs=1", "evaluation.speed=false",
       "quantize.calibration_samples=200"});
}

std::vector<std::string> command(std::vector<std::string> head,
                                 const std::vector<std::string>& settings = {}) {
  head.insert(head.begin(), kDistill);
  const auto tiny = tiny_overrides();
  head.insert(head.end(), tiny.begin(), tiny.end());
  const auto more = testing::with_settings({}, settings);
  head.insert(head.end(), more.begin(), more.end());
  return head;
}

class Example : public ::testing::TestWithParam<std::string> {};

TEST_P(Example, RunsAsTheDocsSayAndWritesItsRows) {
  const std::string name = GetParam();
  const auto found = promises().find(name);
  ASSERT_NE(found, promises().end()) << name << " has no entry in promises()";
  const Promise& promise = found->second;
  const std::string config = (kExamples / name).string();
  TempDir work;  // the user's working directory: relative paths in the config resolve here
  for (const std::string& folder : promise.repository_folders)
    fs::create_directory_symlink(kExamples.parent_path() / folder, work / folder);

  for (const auto& [teacher_config, path] : promise.prerequisite_teachers) {
    const auto made = run_command(command({"train", "--role", "teacher", "-c",
                                           (kExamples / teacher_config).string(), "-o", path}),
                                  {}, work.path());
    ASSERT_EQ(made.exit_code, 0) << made.output;
    ASSERT_TRUE(fs::exists(work / path));
  }

  if (promise.teacher_only) {
    const auto r = run_command(command({"train", "--role", "teacher", "-c", config, "-o",
                                        "teacher.pt"}),
                               {}, work.path());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(fs::exists(work / "teacher.pt"));
    EXPECT_TRUE(fs::exists(work / "teacher.training.json"));
    return;
  }

  const auto r =
      run_command(command({"run", "-c", config, "-o", "run"}, promise.settings), {}, work.path());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(work / "run" / "results.json");
  ASSERT_TRUE(in.good()) << "no results.json";
  const nlohmann::json results = nlohmann::json::parse(in);
  const auto& models = results.at("models");
  std::vector<std::string> rows = {"teacher", "student_baseline", "student_distilled"};
  rows.insert(rows.end(), promise.extra_rows.begin(), promise.extra_rows.end());
  for (const auto& row : rows) {
    ASSERT_TRUE(models.contains(row)) << name << ": no row '" << row << "' in " << models.dump();
    const double accuracy = models.at(row).at("test").at("accuracy").get<double>();
    EXPECT_GE(accuracy, 0.0) << row;
    EXPECT_LE(accuracy, 1.0) << row;
    EXPECT_TRUE(fs::exists(models.at(row).at("file").get<std::string>()) ||
                fs::exists(work / models.at(row).at("file").get<std::string>()))
        << row << ": its file is missing";
  }
  EXPECT_EQ(models.size(), rows.size()) << name << ": unexpected rows in " << models.dump();
  if (!promise.objective.empty()) {
    const std::string objective = models.at("student_distilled").at("objective");
    EXPECT_NE(objective.find(promise.objective), std::string::npos)
        << name << ": the distilled student's objective '" << objective << "' lacks '"
        << promise.objective << "'";
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.size() - std::string(".yaml").size());
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Examples, Example, ::testing::ValuesIn(example_configs()), test_name);

TEST(Examples, EveryExampleHasAPromise) {
  const auto configs = example_configs();
  EXPECT_GE(configs.size(), 20u);
  for (const auto& name : configs) EXPECT_EQ(promises().count(name), 1u) << name;
  for (const auto& [name, unused] : promises())
    EXPECT_NE(std::find(configs.begin(), configs.end(), name), configs.end())
        << name << " is promised but not under examples/";
}

}  // namespace
}  // namespace distill
