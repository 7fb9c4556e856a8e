// The pipeline over several seeds, and its paired statistics.
#include "distill/pipeline/seed_runs.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "distill/core/atomic_file.h"
#include "distill/report/html_report.h"
#include "distill/core/error.h"
#include "statistics_json.h"

namespace distill::pipeline {
namespace {

namespace fs = std::filesystem;

std::vector<double> accuracies(const SeedRunsReport& report, const std::string& key) {
  std::vector<double> values;
  for (const auto& run : report.runs) values.push_back(run.find(key)->test.accuracy);
  return values;
}

/// The selected epoch's validation accuracy of `key` in every run; empty when a run has none.
std::vector<double> validation_accuracies(const SeedRunsReport& report, const std::string& key) {
  std::vector<double> values;
  for (const auto& run : report.runs) {
    const report::ModelReport* model = run.find(key);
    if (!model->training || model->training->best_validation_accuracy < 0) return {};
    values.push_back(model->training->best_validation_accuracy);
  }
  return values;
}

bool paired_with_the_baseline(const std::string& key) {
  return key != "teacher" && key != "student_baseline" && key.rfind("born_again", 0) != 0;
}

}  // namespace

SeedRunsReport run_pipeline_over_seeds(const config::PipelineConfig& config,
                                       const PipelineOptions& options, int64_t count) {
  DISTILL_CHECK_HINT(count >= 1, "--seeds 5 runs seeds seed .. seed + 4", "--seeds = ", count,
                     ": expected at least 1");
  SeedRunsReport report;
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t seed = config.seed + static_cast<uint64_t>(i);
    config::PipelineConfig run_config = config;
    run_config.seed = seed;
    run_config.output_dir = (fs::path(config.output_dir) / ("seed-" + std::to_string(seed))).string();
    PipelineOptions run_options = options;
    if (!options.config_yaml.empty())
      run_options.config_yaml = config::apply_config_overrides(
          options.config_yaml, options.config_source, {"seed=" + std::to_string(seed)});
    if (options.show_progress)
      std::fprintf(stderr, "seed %llu (%lld of %lld) -> %s\n",
                   static_cast<unsigned long long>(seed), static_cast<long long>(i + 1),
                   static_cast<long long>(count), run_config.output_dir.c_str());
    report.seeds.push_back(seed);
    report.runs.push_back(run_pipeline(run_config, run_options));
  }

  // Rows every run has (a stage that applies to one seed applies to all: same config).
  for (const auto& model : report.runs.front().models) {
    const std::vector<double> values = accuracies(report, model.key);
    report.test_accuracy[model.key] = evaluation::summarize(values);
  }
  for (const auto& model : report.runs.front().models) {
    const std::vector<double> values = validation_accuracies(report, model.key);
    if (!values.empty()) report.validation_accuracy[model.key] = evaluation::summarize(values);
  }
  if (report.test_accuracy.count("student_baseline")) {
    const std::vector<double> baseline = accuracies(report, "student_baseline");
    const std::vector<double> baseline_validation =
        validation_accuracies(report, "student_baseline");
    for (const auto& model : report.runs.front().models) {
      if (!paired_with_the_baseline(model.key)) continue;
      report.paired_with_baseline[model.key] =
          evaluation::paired_comparison(baseline, accuracies(report, model.key));
      const std::vector<double> validation = validation_accuracies(report, model.key);
      if (!validation.empty() && !baseline_validation.empty())
        report.validation_paired_with_baseline[model.key] =
            evaluation::paired_comparison(baseline_validation, validation);
    }
  }
  write_file_atomically(fs::path(config.output_dir) / "seeds.json",
                        seed_runs_to_json(report, config.output_dir) + "\n");
  // One report with every seed's run side by side (rank 0 of a data-parallel run wrote them).
  if (!process_writes_files()) return report;
  std::vector<report::ReportedRun> reported;
  for (uint64_t seed : report.seeds)
    reported.push_back(
        report::read_run_directory(fs::path(config.output_dir) / ("seed-" + std::to_string(seed))));
  report::write_html_report(fs::path(config.output_dir) / "report.html", reported);
  return report;
}

std::string seed_runs_to_json(const SeedRunsReport& report, const fs::path& output_dir) {
  nlohmann::json models = nlohmann::json::object();
  for (const auto& [key, summary] : report.test_accuracy) {
    models[key] = {{"test_accuracy", summary_json(summary)},
                   {"test_accuracy_by_seed", accuracies(report, key)}};
    const auto validation = report.validation_accuracy.find(key);
    if (validation != report.validation_accuracy.end()) {
      models[key]["validation_accuracy"] = summary_json(validation->second);
      models[key]["validation_accuracy_by_seed"] = validation_accuracies(report, key);
    }
  }
  nlohmann::json paired = nlohmann::json::object(), validation_paired = nlohmann::json::object();
  for (const auto& [key, comparison] : report.paired_with_baseline)
    paired[key] = paired_json(comparison);
  for (const auto& [key, comparison] : report.validation_paired_with_baseline)
    validation_paired[key] = paired_json(comparison);
  nlohmann::json runs = nlohmann::json::array();
  for (uint64_t seed : report.seeds)
    runs.push_back((output_dir / ("seed-" + std::to_string(seed)) / "results.json").string());
  return nlohmann::json{{"seeds", report.seeds},
                        {"models", models},
                        {"paired_with_baseline", paired},
                        {"validation_paired_with_baseline", validation_paired},
                        {"results", runs}}
      .dump(2);
}

std::string format_seed_runs(const SeedRunsReport& report) {
  std::string out = fmt::format("over {} seeds ({}..{}): test accuracy, mean ± sd\n",
                                report.seeds.size(), report.seeds.front(), report.seeds.back());
  for (const auto& model : report.runs.front().models) {
    const auto& s = report.test_accuracy.at(model.key);
    out += fmt::format("  {:28} {:.4f} ± {:.4f}\n", model.title, s.mean, s.stddev);
  }
  const auto paired_lines = [&](const std::map<std::string, evaluation::PairedComparison>& pairs,
                                const std::string& heading) {
    if (pairs.empty()) return;
    out += heading;
    for (const auto& model : report.runs.front().models) {
      const auto it = pairs.find(model.key);
      if (it == pairs.end()) continue;
      const auto& c = it->second;
      out += fmt::format("  {:28} {:+.2f} (95% CI {:+.2f} .. {:+.2f}), t = {:.2f}, p = {:.3f}\n",
                         model.title, 100 * c.mean_difference, 100 * c.ci95_low,
                         100 * c.ci95_high, c.t, c.p_two_sided);
    }
  };
  paired_lines(report.validation_paired_with_baseline,
               "on the validation split (for choosing recipes), paired with the baseline (points):\n");
  paired_lines(report.paired_with_baseline,
               "on the test set, paired with the baseline student of the same seed (points):\n");
  return out;
}

}  // namespace distill::pipeline
