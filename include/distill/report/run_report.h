// The results record of a run: one entry per model (teacher, students, later int8 students),
// written as JSON and printed as a side-by-side table. Later stages add models or fields here.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "distill/distillation/trainer.h"
#include "distill/evaluation/metrics.h"
#include "distill/evaluation/speed.h"
#include "distill/models/model_size.h"

namespace distill::report {

struct ModelReport {
  std::string key;           // JSON key: "teacher", "student_baseline", "student_distilled"
  std::string title;         // table row: "teacher", "student (baseline)", ...
  std::string architecture;  // describe_model_spec()
  std::string objective;     // what it was trained on ("cross-entropy", "kd(T=4, alpha=0.1)")
  std::string file;          // where the model was saved
  models::ModelSize size;
  evaluation::ClassificationMetrics test;
  std::optional<evaluation::SpeedResult> speed;
  std::optional<distillation::TrainingSummary> training;
};

struct RunReport {
  std::string config_source;  // "built-in default" or the config path
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string data_source;
  int64_t train_samples = 0;
  int64_t validation_samples = 0;
  int64_t test_samples = 0;
  std::vector<std::string> class_names;
  std::vector<ModelReport> models;
  /// Stages the config asked for that did not apply to these models, and why.
  std::vector<std::string> notes;
  double total_seconds = 0;

  const ModelReport* find(const std::string& key) const;
};

std::string report_to_json(const RunReport& report);
/// Writes report_to_json atomically.
void write_report_json(const std::filesystem::path& path, const RunReport& report);

/// The side-by-side table of every model, then the distillation gain when both students exist,
/// then the notes.
std::string format_summary_table(const RunReport& report);

/// A per-model block: accuracy per class and the confusion matrix.
std::string format_model_details(const ModelReport& model, const std::vector<std::string>& class_names);

}  // namespace distill::report
