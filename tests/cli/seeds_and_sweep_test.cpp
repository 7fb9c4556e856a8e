// `distill run --seeds N` and `distill sweep` through the CLI on tiny data: their statistics are
// recomputed here from the per-seed files, the sweep's choice from its validation figures, and
// the chosen point's test accuracy by `distill evaluate` on its saved model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli_arguments.h"
#include "test_support.h"

namespace distill {
namespace {

using testing::run_command;
using testing::TempDir;

const std::string kDistill = DISTILL_EXECUTABLE;

const std::vector<std::string> kTiny = {
    "data.train_limit=1500", "data.validation_size=300", "data.test_limit=400",
    "teacher.model.hidden=[128]", "teacher.train.epochs=2", "student.train.epochs=2",
    "evaluation.speed=false"};

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

TEST(Seeds, RunOverSeedsWritesEachRunAndPairedStatistics) {
  TempDir dir;
  const auto r = run_command(testing::with_settings(
      {kDistill, "run", "-q", "-j", "1", "-o", (dir / "runs").string(), "--seeds", "3"}, kTiny));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("over 3 seeds (0..2)"), std::string::npos) << r.output;
  const nlohmann::json seeds = read_json(dir / "runs" / "seeds.json");
  EXPECT_EQ(seeds["seeds"], nlohmann::json({0, 1, 2}));

  // Each seed ran as its own run, with the seed written into its config.
  std::vector<double> baseline, distilled;
  for (int seed = 0; seed < 3; ++seed) {
    const auto run_dir = dir / "runs" / ("seed-" + std::to_string(seed));
    const nlohmann::json results = read_json(run_dir / "results.json");
    EXPECT_EQ(results["seed"], seed);
    baseline.push_back(results["models"]["student_baseline"]["test"]["accuracy"]);
    distilled.push_back(results["models"]["student_distilled"]["test"]["accuracy"]);
    const std::string text = testing::read_bytes(run_dir / "config.yaml");
    EXPECT_NE(text.find("seed: " + std::to_string(seed)), std::string::npos) << text;
  }
  EXPECT_EQ(seeds["models"]["student_distilled"]["test_accuracy_by_seed"],
            nlohmann::json(distilled));

  // Mean, sample standard deviation and the paired t statistic, by hand.
  double mean = 0, mean_difference = 0;
  for (int i = 0; i < 3; ++i) {
    mean += distilled[i] / 3;
    mean_difference += (distilled[i] - baseline[i]) / 3;
  }
  double squares = 0, difference_squares = 0;
  for (int i = 0; i < 3; ++i) {
    squares += (distilled[i] - mean) * (distilled[i] - mean);
    const double d = distilled[i] - baseline[i] - mean_difference;
    difference_squares += d * d;
  }
  const auto& summary = seeds["models"]["student_distilled"]["test_accuracy"];
  EXPECT_NEAR(summary["mean"].get<double>(), mean, 1e-12);
  EXPECT_NEAR(summary["stddev"].get<double>(), std::sqrt(squares / 2), 1e-12);
  const auto& paired = seeds["paired_with_baseline"]["student_distilled"];
  EXPECT_NEAR(paired["mean_difference"].get<double>(), mean_difference, 1e-12);
  const double sd = std::sqrt(difference_squares / 2);
  if (sd > 0) {
    EXPECT_NEAR(paired["t"].get<double>(), mean_difference / (sd / std::sqrt(3.0)), 1e-9);
    // The 95% interval is mean ± t(0.975, 2) · sd / sqrt(3), t(0.975, 2) = 4.302653.
    EXPECT_NEAR(paired["ci95"][1].get<double>() - paired["ci95"][0].get<double>(),
                2 * 4.302653 * sd / std::sqrt(3.0), 1e-6);
  }
  // The validation split's figures (each training's selected epoch), for choosing recipes.
  double validation_difference = 0;
  for (int seed = 0; seed < 3; ++seed) {
    const auto models = read_json(dir / "runs" / ("seed-" + std::to_string(seed)) / "results.json")["models"];
    validation_difference +=
        (models["student_distilled"]["training"]["best_validation_accuracy"].get<double>() -
         models["student_baseline"]["training"]["best_validation_accuracy"].get<double>()) / 3;
  }
  EXPECT_NEAR(seeds["validation_paired_with_baseline"]["student_distilled"]["mean_difference"]
                  .get<double>(),
              validation_difference, 1e-12);
  EXPECT_FALSE(seeds["validation_paired_with_baseline"].contains("student_int8"));  // not trained
  EXPECT_TRUE(seeds["paired_with_baseline"].contains("student_int8"));
  EXPECT_FALSE(seeds["paired_with_baseline"].contains("teacher"));
}

TEST(Sweep, ChoosesOnValidationThenTestsTheChosenPointOnce) {
  TempDir dir;
  const std::string out = (dir / "sweep").string();
  const auto r = run_command(testing::with_settings(
      {kDistill, "sweep", "-q", "-j", "1", "-o", out, "--seeds", "2", "--grid",
       "distill.temperature=1,4", "--grid", "distill.alpha=0,0.5"},
      kTiny));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json sweep = read_json(dir / "sweep" / "sweep.json");
  ASSERT_EQ(sweep["points"].size(), 4u);
  EXPECT_EQ(sweep["points"][1]["settings"],
            nlohmann::json({"distill.temperature=1", "distill.alpha=0.5"}));

  // The chosen point has the best mean validation accuracy.
  size_t best = 0;
  double best_mean = -1;
  for (size_t p = 0; p < 4; ++p) {
    const auto& values = sweep["points"][p]["validation_accuracy"];
    ASSERT_EQ(values.size(), 2u);
    const double mean = (values[0].get<double>() + values[1].get<double>()) / 2;
    if (mean > best_mean) best_mean = mean, best = p;
  }
  EXPECT_EQ(sweep["chosen"]["index"], best);

  // Its test accuracy is what `distill evaluate` reads from its saved model; the baseline's is
  // the seed run's own.
  for (int seed = 0; seed < 2; ++seed) {
    const auto seed_dir = dir / "sweep" / ("seed-" + std::to_string(seed));
    const auto evaluated = run_command(testing::with_settings(
        {kDistill, "evaluate", "-q", "-j", "1", "--no-speed", "-m",
         (seed_dir / "sweep" / ("point-" + std::to_string(best) + ".pt")).string(), "--json",
         (dir / "eval.json").string()},
        {"data.test_limit=400"}));
    ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
    const nlohmann::json evaluation = read_json(dir / "eval.json");
    EXPECT_DOUBLE_EQ(sweep["chosen"]["test_accuracy"][seed].get<double>(),
                     evaluation["models"]["model"]["test"]["accuracy"].get<double>());
    EXPECT_EQ(sweep["baseline"]["test_accuracy"][seed],
              read_json(seed_dir / "results.json")["models"]["student_baseline"]["test"]["accuracy"]);
  }
}

TEST(Sweep, QatSettingsAreChosenAgainstPostTrainingInt8) {
  TempDir dir;
  const std::string out = (dir / "qat").string();
  const auto r = run_command(testing::with_settings(
      {kDistill, "sweep", "-q", "-j", "1", "-o", out, "--grid", "quantize.qat_alpha=0,0.5"},
      {"data.train_limit=1500", "data.validation_size=300", "data.test_limit=400",
       "teacher.model.hidden=[128]", "teacher.train.epochs=2", "student.train.epochs=2",
       "quantize.qat_epochs=1"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("baseline (post-training int8)"), std::string::npos) << r.output;
  const nlohmann::json sweep = read_json(dir / "qat" / "sweep.json");
  const size_t chosen = sweep["chosen"]["index"];
  const double a = sweep["points"][0]["validation_accuracy"][0];
  const double b = sweep["points"][1]["validation_accuracy"][0];
  EXPECT_EQ(chosen, b > a ? 1u : 0u);
  // The chosen int8 file's test accuracy, as `distill bench` runs it through the runtime.
  const auto benched = run_command(testing::with_settings(
      {kDistill, "bench",
       (dir / "qat" / "seed-0" / "sweep" / ("point-" + std::to_string(chosen) + ".int8")).string(),
       (dir / "qat" / "seed-0" / "student_distilled.int8").string(), "-q", "-j", "1", "--json",
       (dir / "bench.json").string()},
      {"data.test_limit=400", "evaluation.speed=false"}));
  ASSERT_EQ(benched.exit_code, 0) << benched.output;
  const nlohmann::json bench = read_json(dir / "bench.json");
  EXPECT_DOUBLE_EQ(sweep["chosen"]["test_accuracy"][0].get<double>(),
                   bench["models"]["model1"]["test"]["accuracy"].get<double>());
  EXPECT_DOUBLE_EQ(sweep["baseline"]["test_accuracy"][0].get<double>(),
                   bench["models"]["model2"]["test"]["accuracy"].get<double>());

  const auto mixed = run_command({kDistill, "sweep", "-q", "--grid", "distill.alpha=0,1", "--grid",
                                  "quantize.qat_alpha=0,1"});
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_NE(mixed.output.find("the sweep mixes distill.* and quantize.qat_* axes"),
            std::string::npos) << mixed.output;
}

TEST(Sweep, KeysOutsideDistillAreRefused) {
  const auto r = run_command({kDistill, "sweep", "-q", "--grid", "student.train.lr=0.1,0.2"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("sweep axis 'student.train.lr=0.1,0.2': the key 'student.train.lr' is "
                          "not under distill. or quantize.qat_"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("hint: sweep distillation settings against one baseline"),
            std::string::npos)
      << r.output;
  const auto empty = run_command({kDistill, "sweep", "-q", "--grid", "distill.alpha=0,,1"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.output.find("has an empty value"), std::string::npos) << empty.output;
}

}  // namespace
}  // namespace distill
