// The distillation-settings sweep, chosen on validation data.
#include "distill/pipeline/sweep.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "distill/config/pipeline_config.h"
#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/models/model_io.h"
#include "distill/models/predict.h"
#include "distill/pipeline/run_pipeline.h"
#include "distill/pipeline/stages.h"
#include "distill/pipeline/teacher_file.h"

namespace distill::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxPoints = 1000;

/// Every combination of the axes' values, the first axis varying slowest.
std::vector<std::vector<std::string>> grid_points(const std::vector<SweepAxis>& axes) {
  std::vector<std::vector<std::string>> points = {{}};
  for (const auto& axis : axes) {
    std::vector<std::vector<std::string>> next;
    for (const auto& point : points)
      for (const auto& value : axis.values) {
        next.push_back(point);
        next.back().push_back(axis.key + "=" + value);
      }
    points = std::move(next);
    DISTILL_CHECK_HINT(points.size() <= kMaxPoints, "sweep fewer values per axis",
                       "the sweep grid has over ", kMaxPoints, " points");
  }
  return points;
}

/// The settings every run of the sweep uses on top of the user's: its seed and directory, and
/// no stage the sweep does not compare.
std::vector<std::string> seed_settings(const std::vector<std::string>& overrides,
                                       const fs::path& seed_dir, uint64_t seed) {
  std::vector<std::string> all = overrides;
  for (std::string s : {"quantize.enabled=false", "evaluation.speed=false", "prune.kind=none",
                        "self_distill.generations=0", "self_distill.teacher_free=false"})
    all.push_back(s);
  all.push_back("seed=" + std::to_string(seed));
  all.push_back("output_dir=" + seed_dir.string());
  return all;
}

double test_accuracy(const fs::path& model_file, const data::Dataset& test) {
  models::SavedModel saved = models::load_model(model_file);
  const at::Tensor logits = models::predict_logits(*saved.model, test.features, 1000);
  return logits.argmax(1).eq(test.labels).to(at::kDouble).mean().item<double>();
}

/// The data a seed's runs see, and its teacher (loaded from the file the pipeline wrote).
struct SeedInputs {
  data::PreparedData data;
  models::ClassifierPtr teacher;
};

SeedInputs seed_inputs(const config::PipelineConfig& config) {
  if (!config.teacher.load.empty()) {
    TeacherWithData loaded = load_teacher_with_data(
        config.teacher.load, config.data, config.seed, "teacher.load '" + config.teacher.load + "'");
    return {std::move(loaded.data), loaded.teacher.model};
  }
  return {data::prepare_data(config.data, config.seed),
          models::load_model(fs::path(config.output_dir) / "teacher.pt").model};
}

}  // namespace

SweepAxis parse_sweep_axis(const std::string& text) {
  const std::string syntax = "write the key, '=' and comma-separated values: distill.alpha=0,0.5";
  const size_t eq = text.find('=');
  DISTILL_CHECK_HINT(eq != std::string::npos && eq > 0, syntax, "sweep axis '", text,
                     "' has no key=values");
  SweepAxis axis;
  axis.key = text.substr(0, eq);
  DISTILL_CHECK_HINT(axis.key.rfind("distill.", 0) == 0 && axis.key.size() > 8,
                     "sweep distillation settings against one baseline; compare other settings "
                     "with `distill run --seeds N`, one run per setting",
                     "sweep axis '", text, "': the key '", axis.key,
                     "' is not under distill. (keys elsewhere would change the teacher or the "
                     "baseline the points are compared with)");
  std::string rest = text.substr(eq + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t comma = rest.find(',', start);
    const std::string value = rest.substr(start, comma == std::string::npos ? std::string::npos
                                                                             : comma - start);
    DISTILL_CHECK_HINT(!value.empty(), syntax, "sweep axis '", text, "' has an empty value");
    axis.values.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return axis;
}

SweepReport run_sweep(const std::string& yaml_text, const std::string& source,
                      const std::vector<std::string>& overrides, const SweepOptions& options) {
  DISTILL_CHECK_HINT(!options.axes.empty(), "give at least one --grid key=v1,v2",
                     "the sweep has no axis");
  DISTILL_CHECK(options.seeds >= 1, "--seeds = ", options.seeds, ": expected at least 1");
  const auto points = grid_points(options.axes);
  const config::PipelineConfig base = config::parse_pipeline_config(yaml_text, source, overrides);
  // Every point must parse (a bad value fails now, not after the first teacher trained).
  for (const auto& point : points) {
    std::vector<std::string> all = overrides;
    all.insert(all.end(), point.begin(), point.end());
    config::parse_pipeline_config(yaml_text, source, all);
  }

  const fs::path root = options.output_dir.empty() ? fs::path(base.output_dir) / "sweep"
                                                   : options.output_dir;
  SweepReport report;
  for (const auto& point : points) report.points.push_back({point, {}, {}});
  std::vector<fs::path> seed_dirs;
  for (int64_t i = 0; i < options.seeds; ++i) {
    const uint64_t seed = base.seed + static_cast<uint64_t>(i);
    const fs::path seed_dir = root / ("seed-" + std::to_string(seed));
    const std::vector<std::string> settings = seed_settings(overrides, seed_dir, seed);
    const config::PipelineConfig config = config::parse_pipeline_config(yaml_text, source, settings);
    if (options.show_progress)
      std::fprintf(stderr, "sweep: seed %llu, teacher and baseline -> %s\n",
                   static_cast<unsigned long long>(seed), seed_dir.c_str());
    PipelineOptions run;
    run.config_source = source;
    run.config_yaml = config::apply_config_overrides(yaml_text, source, settings);
    run.resume = options.resume;
    run.show_progress = options.show_progress;
    const report::RunReport baseline_run = run_pipeline(config, run);
    const report::ModelReport* baseline = baseline_run.find("student_baseline");
    report.seeds.push_back(seed);
    report.baseline_validation.push_back(baseline->training->best_validation_accuracy);
    report.baseline_test.push_back(baseline->test.accuracy);
    seed_dirs.push_back(seed_dir);

    SeedInputs inputs = seed_inputs(config);
    for (size_t p = 0; p < points.size(); ++p) {
      std::vector<std::string> point_settings = settings;
      point_settings.insert(point_settings.end(), points[p].begin(), points[p].end());
      const config::PipelineConfig point =
          config::parse_pipeline_config(yaml_text, source, point_settings);
      StageRun stage;
      stage.model_path = seed_dir / "sweep" / ("point-" + std::to_string(p) + ".pt");
      stage.seed = seed;
      stage.show_progress = false;
      fs::create_directories(stage.model_path.parent_path());
      const TrainedModel trained =
          distill_from_teacher(point.student, point.distill, inputs.teacher, "sweep", inputs.data,
                               stage, seed_dir / "soft-label-cache");
      report.points[p].validation_accuracy.push_back(trained.training.best_validation_accuracy);
      if (options.show_progress)
        std::fprintf(stderr, "  seed %llu, point %zu/%zu (%s): validation %.4f\n",
                     static_cast<unsigned long long>(seed), p + 1, points.size(),
                     fmt::format("{}", fmt::join(points[p], " ")).c_str(),
                     trained.training.best_validation_accuracy);
    }
  }
  report.baseline_validation_summary = evaluation::summarize(report.baseline_validation);
  for (size_t p = 0; p < report.points.size(); ++p) {
    report.points[p].validation = evaluation::summarize(report.points[p].validation_accuracy);
    if (report.points[p].validation.mean > report.points[report.chosen].validation.mean)
      report.chosen = p;
  }

  // Only now, with the point chosen on validation data, its test accuracy.
  for (size_t i = 0; i < report.seeds.size(); ++i) {
    std::vector<std::string> settings =
        seed_settings(overrides, seed_dirs[i], report.seeds[i]);
    const config::PipelineConfig config = config::parse_pipeline_config(yaml_text, source, settings);
    const data::Dataset test = seed_inputs(config).data.test;
    report.chosen_test.push_back(test_accuracy(
        seed_dirs[i] / "sweep" / ("point-" + std::to_string(report.chosen) + ".pt"), test));
  }
  report.chosen_vs_baseline_test =
      evaluation::paired_comparison(report.baseline_test, report.chosen_test);
  write_file_atomically(root / "sweep.json", sweep_to_json(report) + "\n");
  return report;
}

std::string sweep_to_json(const SweepReport& report) {
  const auto summary = [](const evaluation::SampleSummary& s) {
    return nlohmann::json{{"count", s.count}, {"mean", s.mean}, {"stddev", s.stddev}};
  };
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : report.points)
    points.push_back({{"settings", p.settings},
                      {"validation_accuracy", p.validation_accuracy},
                      {"validation", summary(p.validation)}});
  const auto& c = report.chosen_vs_baseline_test;
  return nlohmann::json{
      {"seeds", report.seeds},
      {"selection", "best mean validation accuracy; test computed for the chosen point only"},
      {"baseline", {{"validation_accuracy", report.baseline_validation},
                    {"validation", summary(report.baseline_validation_summary)},
                    {"test_accuracy", report.baseline_test}}},
      {"points", points},
      {"chosen", {{"index", report.chosen},
                  {"settings", report.points[report.chosen].settings},
                  {"test_accuracy", report.chosen_test},
                  {"test_vs_baseline", {{"mean_difference", c.mean_difference},
                                        {"stddev_difference", c.stddev_difference},
                                        {"t", std::isfinite(c.t) ? nlohmann::json(c.t)
                                                                 : nlohmann::json()},
                                        {"p_two_sided", c.p_two_sided},
                                        {"ci95", {c.ci95_low, c.ci95_high}}}}}}}
      .dump(2);
}

std::string format_sweep(const SweepReport& report) {
  std::string out = fmt::format("validation accuracy over {} seed(s), mean ± sd:\n",
                                report.seeds.size());
  out += fmt::format("  {:40} {:.4f} ± {:.4f}\n", "baseline (labels only)",
                     report.baseline_validation_summary.mean,
                     report.baseline_validation_summary.stddev);
  for (size_t p = 0; p < report.points.size(); ++p) {
    const auto& point = report.points[p];
    out += fmt::format("  {:40} {:.4f} ± {:.4f}{}\n", fmt::format("{}", fmt::join(point.settings, " ")),
                       point.validation.mean, point.validation.stddev,
                       p == report.chosen ? "  <- chosen" : "");
  }
  const auto& c = report.chosen_vs_baseline_test;
  const auto test = evaluation::summarize(report.chosen_test);
  const auto baseline = evaluation::summarize(report.baseline_test);
  out += fmt::format(
      "test accuracy, computed once for the chosen point: {:.4f} ± {:.4f} against the "
      "baseline's {:.4f} ± {:.4f}\npaired over seeds: {:+.2f} points (95% CI {:+.2f} .. {:+.2f}), "
      "p = {:.3f}\n",
      test.mean, test.stddev, baseline.mean, baseline.stddev, 100 * c.mean_difference,
      100 * c.ci95_low, 100 * c.ci95_high, c.p_two_sided);
  return out;
}

}  // namespace distill::pipeline
