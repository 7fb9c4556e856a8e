// Post-training quantization of a bag-of-embeddings text student into the runtime's
// Int8TextModel: every embedding row int8 with its own scale (symmetric), the linear head as the
// runtime's int8 MLP, its input range calibrated on the pooled vectors of real texts computed
// from the quantized rows (what the runtime will pool).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "distill/compression/int8_export.h"
#include "distill/data/text_dataset.h"
#include "distill/models/bag_of_embeddings.h"
#include "distill/runtime/int8_text_model.h"

namespace distill::compression {

/// calibration_ids: (N, L) token ids as training saw them. `tokenizer_model`, `encoding` and
/// `class_names` go into the model so the runtime reads texts as training did.
runtime::Int8TextModel quantize_bag_of_embeddings(models::BagOfEmbeddings& model,
                                                  const std::string& tokenizer_model,
                                                  const data::TextEncodingOptions& encoding,
                                                  const std::vector<std::string>& class_names,
                                                  const at::Tensor& calibration_ids,
                                                  const Int8ExportOptions& options);

/// The embedding table the runtime holds, back in float (rows × scale): (rows, E).
at::Tensor dequantized_embeddings(const runtime::Int8TextModel& model);

}  // namespace distill::compression
