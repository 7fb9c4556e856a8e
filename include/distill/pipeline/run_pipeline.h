// `distill run`: teacher -> baseline student -> distilled student -> evaluation -> report.
#pragma once

#include <memory>
#include <string>

#include "distill/config/pipeline_config.h"
#include "distill/report/run_report.h"

namespace distill::pipeline {

struct PipelineOptions {
  /// Shown in the report ("built-in default" or the config path).
  std::string config_source = "built-in default";
  /// The effective YAML, saved as <output_dir>/config.yaml.
  std::string config_yaml;
  /// Reuse finished stages and continue an interrupted one from its checkpoint.
  bool resume = false;
  bool show_progress = true;
  /// The data-parallel group of this run (pipeline::join_process_group_from_environment; null:
  /// this process alone). Every rank runs every stage; rank 0 writes the files.
  std::shared_ptr<distributed::Communicator> communicator;
};

/// Runs every stage, writing into config.output_dir: teacher.pt, student_baseline.pt,
/// student_distilled.pt, config.yaml, results.json, report.html (report/html_report.h), and
/// checkpoints/ while training. Applies the config's process settings (command_policy.h).
report::RunReport run_pipeline(const config::PipelineConfig& config, const PipelineOptions& options);

}  // namespace distill::pipeline
