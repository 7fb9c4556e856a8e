// A report's models timed together once they all exist: every model's speed rounds interleave
// with the others' (evaluation::measure_speeds), so the ratios in a table come from the same
// spells of the machine rather than from whichever spell each model happened to be timed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "distill/evaluation/speed.h"
#include "distill/models/classifier.h"
#include "distill/report/run_report.h"

namespace distill::pipeline {

class SpeedQueue {
 public:
  /// Row `row` of the report: a libtorch model, timed in eval mode on `samples` (N, ...), as
  /// evaluation::model_inference_call does. The queue keeps the model alive; its training mode
  /// is restored.
  void add(size_t row, models::ClassifierPtr model, at::Tensor samples);

  /// Row `row` of the report: any inference call (e.g. pipeline::int8_inference_call), run by
  /// `engine` (kInt8RuntimeEngine, ...).
  void add(size_t row, evaluation::InferenceCall call, std::string engine);

  /// Times every queued model and sets `report.models[row].speed`; empties the queue. Throws
  /// distill::Error if a row is not in the report.
  void measure_into(report::RunReport& report, const evaluation::SpeedOptions& options,
                    bool show_progress);

 private:
  struct Fp32Model {
    size_t row;
    models::ClassifierPtr model;
    at::Tensor samples;
  };
  std::vector<Fp32Model> fp32_;
  struct Call {
    size_t row;
    evaluation::InferenceCall call;
    std::string engine;
  };
  std::vector<Call> calls_;
};

}  // namespace distill::pipeline
