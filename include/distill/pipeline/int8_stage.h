// The pipeline's int8 stage: quantize a trained MLP student for the runtime, write the int8 file,
// and evaluate the int8 model as the runtime runs it (accuracy, agreement, bytes, speed).
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>

#include "distill/config/pipeline_config.h"
#include "distill/data/dataset.h"
#include "distill/models/model_io.h"
#include "distill/report/run_report.h"
#include "distill/runtime/int8_model.h"

namespace distill::pipeline {

/// Quantizes `student` with `quantize.options`, calibrating on the first
/// quantize.calibration_samples samples of `train` (normalised, as training saw them), and writes
/// the int8 file atomically to `path`.
runtime::Int8Model quantize_student(const models::SavedModel& student, const data::Dataset& train,
                                    const config::QuantizeStageConfig& quantize,
                                    const std::filesystem::path& path);

/// Test metrics of `model` run by the int8 runtime (oneDNN kernels) on `test`, whose features
/// are normalised with `normalization` (the runtime takes raw features, so they are restored).
/// `teacher_predictions` (N) int64 or undefined gives the agreement column; `file` names the
/// int8 file, whose size is the model's bytes.
report::ModelReport evaluate_int8_model(const std::string& title, const runtime::Int8Model& model,
                                        const data::Dataset& test,
                                        const data::Normalization& normalization,
                                        const at::Tensor& teacher_predictions,
                                        const config::EvaluationConfig& evaluation,
                                        const std::filesystem::path& file, bool show_progress);

}  // namespace distill::pipeline
