// Post-training quantization of the BiLSTM text student (models/bilstm.h) into the runtime's
// Int8TextModel with the recurrent encoder: embedding rows int8 with a scale each, the text's
// rows uint8 (the range chosen by the configured observer on calibration texts), every gate
// row of W_ih and W_hh int8 with its own scale, the hidden states in the fixed state encoding
// (kLstmStateScale), the cell state and nonlinearities in float; the head calibrated on the
// final states the runtime computes for the calibration texts.
#pragma once

#include <ATen/core/Tensor.h>

#include "distill/compression/text_int8_common.h"
#include "distill/models/bilstm.h"

namespace distill::compression {

/// calibration_ids: (N, L) token ids as training saw them. Static activations only.
runtime::Int8TextModel quantize_bilstm(models::BiLstm& model, const TextModelContext& context,
                                       const at::Tensor& calibration_ids,
                                       const Int8ExportOptions& options);

/// The runtime's recurrent encoder written with libtorch ops, independently of the runtime:
/// fake-quantized inputs and states, dequantized weights, the LSTM cell step by step over each
/// text's own tokens (the backward direction over the text reversed within its length).
/// ids: (N, L) -> (N, 2·units): the last layer's final forward and backward states.
at::Tensor simulate_recurrent_states(const runtime::Int8TextModel& model, const at::Tensor& ids);

}  // namespace distill::compression
