// `distill sweep`: distillation settings chosen on the validation split. Every point of a grid
// (e.g. distill.temperature × distill.alpha) distils the config's student from the same teacher,
// for each seed; the point with the best mean validation accuracy is chosen, and only then is
// its test accuracy computed, paired with the baseline student of each seed. A grid of
// quantize.qat_* settings instead trains the distilled student while quantizing it at every
// point, its baseline the post-training int8 model of the same student.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "distill/evaluation/seed_statistics.h"

namespace distill::pipeline {

/// One axis of the grid: a config key under `distill.` or `quantize.qat_` and the values it
/// takes (YAML scalars).
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
};

/// Parses "distill.temperature=1,2,4". Errors name the text, what is wrong and the syntax.
SweepAxis parse_sweep_axis(const std::string& text);

struct SweepOptions {
  std::vector<SweepAxis> axes;
  /// Seeds config.seed, config.seed + 1, ...: each trains (or, with resume, reuses) its own
  /// teacher and baseline in <output_dir>/seed-<s>.
  int64_t seeds = 1;
  /// Where the sweep writes (empty: <config's output_dir>/sweep).
  std::filesystem::path output_dir;
  bool resume = false;
  bool show_progress = true;
};

struct SweepPoint {
  std::vector<std::string> settings;        // "distill.temperature=2", one per axis
  std::vector<double> validation_accuracy;  // per seed: the selected epoch's
  evaluation::SampleSummary validation;
};

struct SweepReport {
  bool qat = false;  // a sweep of quantize.qat_* settings
  std::vector<uint64_t> seeds;
  /// The labels-only student's (distillation sweeps) or the post-training int8 model's (QAT
  /// sweeps) validation accuracy, per seed.
  std::vector<double> baseline_validation;
  evaluation::SampleSummary baseline_validation_summary;
  std::vector<SweepPoint> points;
  size_t chosen = 0;  // index into points: the best mean validation accuracy
  /// Test accuracies, computed once after the choice: the baseline's and the chosen point's.
  std::vector<double> baseline_test, chosen_test;
  evaluation::PairedComparison chosen_vs_baseline_test;
};

/// Runs the sweep for the config in `yaml_text` (with `overrides`), writing into
/// options.output_dir: seed-<s>/ (teacher, baseline and the points' models) and sweep.json. Stages that do not
/// take part (int8, pruning, self-distillation, speed) are switched off. Throws distill::Error
/// for an axis outside `distill.` and `quantize.qat_`, a grid mixing the two, an empty grid or a
/// grid of over 1000 points.
SweepReport run_sweep(const std::string& yaml_text, const std::string& source,
                      const std::vector<std::string>& overrides, const SweepOptions& options);

/// What sweep.json holds.
std::string sweep_to_json(const SweepReport& report);

/// The table of points (validation mean ± sd, the chosen one marked), then the chosen point's
/// test accuracy against the baseline.
std::string format_sweep(const SweepReport& report);

}  // namespace distill::pipeline
