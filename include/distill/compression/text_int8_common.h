// What every int8 text exporter does alike: the embedding table as int8 rows with a scale each,
// the head as the runtime's int8 MLP calibrated on the vectors the runtime will feed it, and the
// fields that let the runtime read texts as training did.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "distill/compression/int8_export.h"
#include "distill/data/text_dataset.h"
#include "distill/models/model_spec.h"
#include "distill/runtime/int8_text_model.h"

namespace distill::compression {

/// How the runtime reads texts: the tokenizer, the encoding (cut, <cls>) and the class names.
struct TextModelContext {
  std::string tokenizer_model;
  data::TextEncodingOptions encoding;
  std::vector<std::string> class_names;
};

/// An Int8TextModel with the context's fields, the spec's vocabulary and width, and `table`
/// (rows, E) as symmetric int8 rows: each row's largest magnitude maps to 127.
runtime::Int8TextModel int8_text_model_with_rows(const models::ModelSpec& spec,
                                                 const TextModelContext& context,
                                                 const at::Tensor& table);

/// A float matrix (N, K) as symmetric int8 rows: each row's largest magnitude maps to 127.
struct Int8Rows {
  std::vector<int8_t> codes;  // N × K
  std::vector<float> scales;  // N
};
Int8Rows quantize_rows(const at::Tensor& matrix);

/// `rows` back in float: (N, K).
at::Tensor dequantized_rows(const std::vector<int8_t>& codes, const std::vector<float>& scales,
                            int64_t columns);

/// What every sequence encoder (convolutions, recurrent) starts from: int8_text_model_with_rows
/// with `encoder`, and the uint8 encoding of a text's dequantized rows — the range the observer
/// chooses on the calibration texts' rows (sequence_scale, sequence_zero_point). Static
/// activations only: dynamic ones are refused naming the spec's family.
runtime::Int8TextModel int8_sequence_model(const models::ModelSpec& spec,
                                           const TextModelContext& context, const at::Tensor& table,
                                           runtime::TextEncoder encoder,
                                           const at::Tensor& calibration_ids,
                                           const Int8ExportOptions& options);

/// What the sequence encoders read, in libtorch: `ids`' dequantized rows through the sequence
/// encoding and back (fake quantization), padded with the encoding of 0 to `positions`: (N, P, E).
at::Tensor fake_quantized_sequence(const runtime::Int8TextModel& model, const at::Tensor& ids,
                                   int64_t positions);

/// The embedding table the runtime holds, back in float (rows × scale): (rows, E).
at::Tensor dequantized_embeddings(const runtime::Int8TextModel& model);

/// The linear head (weight (K, F), bias (K)) as the runtime's one-layer int8 MLP, its input range
/// calibrated on `pooled` (N, F): the runtime's own head inputs for calibration texts.
runtime::Int8Model quantize_text_head(const at::Tensor& weight, const at::Tensor& bias,
                                      const at::Tensor& pooled, const Int8ExportOptions& options);

}  // namespace distill::compression
