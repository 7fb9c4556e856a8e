// `distill run --seeds N`: the pipeline once per seed, and what the seeds say together — each
// model's test accuracy as mean ± standard deviation, and every student paired with the
// baseline student of the same seed (mean difference, Student's t, p-value, 95% interval).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "distill/evaluation/seed_statistics.h"
#include "distill/pipeline/run_pipeline.h"
#include "distill/report/run_report.h"

namespace distill::pipeline {

struct SeedRunsReport {
  std::vector<uint64_t> seeds;
  std::vector<report::RunReport> runs;  // one per seed, in order
  /// Per model key (rows every run has): test accuracy over the seeds.
  std::map<std::string, evaluation::SampleSummary> test_accuracy;
  /// Per student key other than the baseline: its test accuracy paired with the baseline's.
  std::map<std::string, evaluation::PairedComparison> paired_with_baseline;
  /// The same on the validation split (each trained row's selected epoch), for choosing between
  /// recipes without looking at the test set; rows trained with a validation split only.
  std::map<std::string, evaluation::SampleSummary> validation_accuracy;
  std::map<std::string, evaluation::PairedComparison> validation_paired_with_baseline;
};

/// Runs the pipeline for seeds config.seed, config.seed + 1, ... (`count` of them), each into
/// `<output_dir>/seed-<s>` with its own config.yaml (the seed written in), then writes
/// `<output_dir>/seeds.json`. `options` apply to every run (with --resume, each seed's run
/// resumes). Throws distill::Error for count < 1.
SeedRunsReport run_pipeline_over_seeds(const config::PipelineConfig& config,
                                       const PipelineOptions& options, int64_t count);

/// The statistics as JSON (what seeds.json holds): seeds, each model's accuracies and summary,
/// the paired comparisons, and each seed's results.json path.
std::string seed_runs_to_json(const SeedRunsReport& report, const std::filesystem::path& output_dir);

/// A table: each model's mean ± sd test accuracy, and each student against the baseline.
std::string format_seed_runs(const SeedRunsReport& report);

}  // namespace distill::pipeline
