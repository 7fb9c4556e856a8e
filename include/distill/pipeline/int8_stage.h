// The pipeline's int8 stage: quantize a trained MLP student for the runtime, write the int8 file,
// and evaluate the int8 model as the runtime runs it (accuracy, agreement, bytes, speed).
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>

#include "distill/config/pipeline_config.h"
#include "distill/data/dataset.h"
#include "distill/evaluation/speed.h"
#include "distill/models/model_io.h"
#include "distill/pipeline/stages.h"
#include "distill/report/run_report.h"
#include "distill/runtime/int8_model.h"

namespace distill::pipeline {

/// Quantizes `student` with `quantize.options`, calibrating on the first
/// quantize.calibration_samples samples of `train` (normalised, as training saw them), and writes
/// the int8 file atomically to `path`.
runtime::Int8Model quantize_student(const models::SavedModel& student, const data::Dataset& train,
                                    const config::QuantizeStageConfig& quantize,
                                    const std::filesystem::path& path);

/// Distill-while-quantizing: the student in `student_file` — an MLP with FakeQuantization hooks,
/// a CNN as its FakeQuantizedCnn (activation ranges calibrated as for post-training
/// quantization either way) — trains quantize.qat_epochs on quantize.qat_loss (distill's mode)
/// with `teacher`'s outputs at quantize.qat_lr; the result is exported with exactly the ranges
/// it trained with and written atomically to `path`. `training` receives the training's summary.
runtime::Int8Model distill_while_quantizing(const std::filesystem::path& student_file,
                                            const models::ClassifierPtr& teacher,
                                            const config::PipelineConfig& config,
                                            const data::PreparedData& data, const StageRun& run,
                                            const std::filesystem::path& cache_dir,
                                            const std::filesystem::path& path,
                                            distillation::TrainingSummary* training);

/// Test metrics of `model` run by the int8 runtime (oneDNN kernels) on `test`, whose features
/// are normalised with `normalization` (the runtime takes raw features, so they are restored).
/// `teacher_predictions` (N) int64 or undefined gives the agreement column; `file` names the
/// int8 file, whose size is the model's bytes. With a group the ranks run a share each.
report::ModelReport evaluate_int8_model(const std::string& title, const runtime::Int8Model& model,
                                        const data::Dataset& test,
                                        const data::Normalization& normalization,
                                        const at::Tensor& teacher_predictions,
                                        const config::EvaluationConfig& evaluation,
                                        const std::filesystem::path& file, bool show_progress,
                                        distributed::Communicator* group = nullptr);

/// Batch-1 and batch-`throughput_batch` inference of `model` by the int8 runtime on real samples
/// of `test` (features normalised with `normalization`; repeated when the test set is smaller
/// than the batch), for evaluation::measure_speeds. The call owns its runtime and buffers.
evaluation::InferenceCall int8_inference_call(const runtime::Int8Model& model,
                                              const data::Dataset& test,
                                              const data::Normalization& normalization,
                                              int64_t throughput_batch);

/// Accuracy of `model` run by the int8 runtime on `dataset` (features normalised with
/// `normalization`), without a progress bar: for comparisons on the validation split.
double int8_accuracy(const runtime::Int8Model& model, const data::Dataset& dataset,
                     const data::Normalization& normalization, int64_t batch_size);

}  // namespace distill::pipeline
