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
#include "distill/pipeline/int8_stage.h"
#include "distill/pipeline/run_pipeline.h"
#include "distill/pipeline/stages.h"
#include "distill/pipeline/teacher_file.h"
#include "distill/runtime/int8_model_file.h"
#include "statistics_json.h"

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

bool is_qat_axis(const SweepAxis& axis) { return axis.key.rfind("quantize.qat_", 0) == 0; }

/// A sweep of distillation settings (distill.*) or of distill-while-quantizing (quantize.qat_*),
/// never both: the points of one sweep share their baseline.
bool is_qat_sweep(const std::vector<SweepAxis>& axes) {
  const bool qat = is_qat_axis(axes.front());
  for (const auto& axis : axes)
    DISTILL_CHECK_HINT(is_qat_axis(axis) == qat, "run one sweep per kind",
                       "the sweep mixes distill.* and quantize.qat_* axes ('", axes.front().key,
                       "', '", axis.key, "'): their points have different baselines");
  return qat;
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

/// Where point `index` of a seed keeps its model: an fp32 student, or an int8 file for QAT.
fs::path point_file(const fs::path& seed_dir, size_t index, bool qat) {
  return seed_dir / "sweep" / ("point-" + std::to_string(index) + (qat ? ".int8" : ".pt"));
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
  DISTILL_CHECK_HINT((axis.key.rfind("distill.", 0) == 0 && axis.key.size() > 8) ||
                         axis.key.rfind("quantize.qat_", 0) == 0,
                     "sweep distillation settings against one baseline; compare other settings "
                     "with `distill run --seeds N`, one run per setting",
                     "sweep axis '", text, "': the key '", axis.key,
                     "' is not under distill. or quantize.qat_ (keys elsewhere would change the "
                     "teacher or the baseline the points are compared with)");
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
  const bool qat = is_qat_sweep(options.axes);
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
  report.qat = qat;
  for (const auto& point : points) report.points.push_back({point, {}, {}});
  std::vector<fs::path> seed_dirs;
  // Each seed's test split (and its normalisation), kept for the one test evaluation at the end.
  std::vector<data::Dataset> test_splits;
  std::vector<data::Normalization> normalizations;
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
    SeedInputs inputs = seed_inputs(config);
    report.seeds.push_back(seed);
    seed_dirs.push_back(seed_dir);
    test_splits.push_back(inputs.data.test);
    normalizations.push_back(inputs.data.normalization);
    if (qat) {
      // What distill-while-quantizing must beat: post-training int8 of the distilled student.
      const runtime::Int8Model post_training =
          quantize_student(models::load_model(seed_dir / "student_distilled.pt"), inputs.data.train,
                           config.quantize, seed_dir / "student_distilled.int8");
      const int64_t batch = config.evaluation.batch_size;
      report.baseline_validation.push_back(int8_accuracy(
          post_training, inputs.data.validation, inputs.data.normalization, batch));
      report.baseline_test.push_back(
          int8_accuracy(post_training, inputs.data.test, inputs.data.normalization, batch));
    } else {
      const report::ModelReport* baseline = baseline_run.find("student_baseline");
      report.baseline_validation.push_back(baseline->training->best_validation_accuracy);
      report.baseline_test.push_back(baseline->test.accuracy);
    }

    for (size_t p = 0; p < points.size(); ++p) {
      std::vector<std::string> point_settings = settings;
      point_settings.insert(point_settings.end(), points[p].begin(), points[p].end());
      const config::PipelineConfig point =
          config::parse_pipeline_config(yaml_text, source, point_settings);
      StageRun stage;
      stage.model_path = point_file(seed_dir, p, qat);
      stage.seed = seed;
      stage.show_progress = false;
      fs::create_directories(stage.model_path.parent_path());
      double validation = 0;
      if (qat) {
        distillation::TrainingSummary summary;
        const runtime::Int8Model trained = distill_while_quantizing(
            seed_dir / "student_distilled.pt", inputs.teacher, point, inputs.data, stage,
            seed_dir / "soft-label-cache", stage.model_path, &summary);
        validation = int8_accuracy(trained, inputs.data.validation, inputs.data.normalization,
                                   point.evaluation.batch_size);
      } else {
        validation = distill_from_teacher(point.student, point.distill, inputs.teacher, "sweep",
                                          inputs.data, stage, seed_dir / "soft-label-cache")
                         .training.best_validation_accuracy;
      }
      report.points[p].validation_accuracy.push_back(validation);
      if (options.show_progress)
        std::fprintf(stderr, "  seed %llu, point %zu/%zu (%s): validation %.4f\n",
                     static_cast<unsigned long long>(seed), p + 1, points.size(),
                     fmt::format("{}", fmt::join(points[p], " ")).c_str(), validation);
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
    const fs::path chosen = point_file(seed_dirs[i], report.chosen, qat);
    report.chosen_test.push_back(
        qat ? int8_accuracy(runtime::load_int8_model(chosen.string()), test_splits[i],
                            normalizations[i], base.evaluation.batch_size)
            : test_accuracy(chosen, test_splits[i]));
  }
  report.chosen_vs_baseline_test =
      evaluation::paired_comparison(report.baseline_test, report.chosen_test);
  write_file_atomically(root / "sweep.json", sweep_to_json(report) + "\n");
  return report;
}

std::string sweep_to_json(const SweepReport& report) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : report.points)
    points.push_back({{"settings", p.settings},
                      {"validation_accuracy", p.validation_accuracy},
                      {"validation", summary_json(p.validation)}});
  return nlohmann::json{
      {"seeds", report.seeds},
      {"kind", report.qat ? "quantize.qat (baseline: post-training int8 of the distilled student)"
                          : "distill (baseline: the student on labels alone)"},
      {"selection", "best mean validation accuracy; test computed for the chosen point only"},
      {"baseline", {{"validation_accuracy", report.baseline_validation},
                    {"validation", summary_json(report.baseline_validation_summary)},
                    {"test_accuracy", report.baseline_test}}},
      {"points", points},
      {"chosen", {{"index", report.chosen},
                  {"settings", report.points[report.chosen].settings},
                  {"test_accuracy", report.chosen_test},
                  {"test_vs_baseline", paired_json(report.chosen_vs_baseline_test)}}}}
      .dump(2);
}

std::string format_sweep(const SweepReport& report) {
  std::string out = fmt::format("validation accuracy over {} seed(s), mean ± sd:\n",
                                report.seeds.size());
  out += fmt::format("  {:40} {:.4f} ± {:.4f}\n", report.qat ? "baseline (post-training int8)"
                                                             : "baseline (labels only)",
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
