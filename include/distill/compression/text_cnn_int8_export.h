// Post-training quantization of the convolutional text student (models/text_cnn.h) into the
// runtime's Int8TextModel with the convolutional encoder: embedding rows int8 with a scale each;
// a text's dequantized rows quantized to uint8 with one static scale and zero point (the range
// chosen by the configured observer on calibration texts); every filter's weights int8 with its
// own scale; the head calibrated on the runtime's own maxima for the calibration texts.
#pragma once

#include <ATen/core/Tensor.h>

#include "distill/compression/text_int8_common.h"
#include "distill/models/text_cnn.h"

namespace distill::compression {

/// calibration_ids: (N, L) token ids as training saw them. Static activations only.
runtime::Int8TextModel quantize_text_cnn(models::TextCnn& model, const TextModelContext& context,
                                         const at::Tensor& calibration_ids,
                                         const Int8ExportOptions& options);

/// The runtime's convolutional encoder written with libtorch ops, independently of the runtime:
/// the fake-quantized sequence, the dequantized weights, at::conv1d, ReLU and each filter's
/// maximum over the text's windows. ids: (N, L) -> (N, the convolutions' filters together).
at::Tensor simulate_text_convolutions(const runtime::Int8TextModel& model, const at::Tensor& ids);

}  // namespace distill::compression
