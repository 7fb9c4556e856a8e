// The pipeline's int8 stage for text: the student (bag of embeddings or text CNN) quantized into the runtime's
// int8 text model (tokenizer included), written to its file and evaluated as the runtime runs
// it from the test texts' token ids.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>

#include "distill/config/pipeline_config.h"
#include "distill/data/data_source.h"
#include "distill/evaluation/speed.h"
#include "distill/models/model_io.h"
#include "distill/report/run_report.h"
#include "distill/runtime/int8_text_model.h"

namespace distill::distributed {
class Communicator;
}

namespace distill::pipeline {

/// Quantizes `student` (compression::quantize_text_classifier: a family with an int8 form;
/// others are refused by name), calibrating on the
/// first quantize.calibration_samples training texts, and writes the file atomically to `path`.
runtime::Int8TextModel quantize_text_student(const models::SavedModel& student,
                                             const data::PreparedData& data,
                                             const data::TextEncodingOptions& encoding,
                                             const config::QuantizeStageConfig& quantize,
                                             const std::filesystem::path& path);

/// Test metrics of `model` run by the runtime (Int8TextRunner) on the token ids of `test`. With a
/// group the ranks run a share each.
report::ModelReport evaluate_int8_text_model(const std::string& title,
                                             const runtime::Int8TextModel& model,
                                             const data::Dataset& test,
                                             const at::Tensor& teacher_predictions,
                                             const config::EvaluationConfig& evaluation,
                                             const std::filesystem::path& file,
                                             bool show_progress,
                                             distributed::Communicator* group = nullptr);

/// Batch-1 and large-batch inference of `model` on real test rows (token ids; tokenization is
/// timed by bench/text_runtime_bench), for evaluation::measure_speeds.
evaluation::InferenceCall int8_text_inference_call(const runtime::Int8TextModel& model,
                                                   const data::Dataset& test,
                                                   int64_t throughput_batch);

}  // namespace distill::pipeline
