// Post-training quantization of a bag-of-embeddings text student into the runtime's
// Int8TextModel: every embedding row int8 with its own scale (symmetric), the linear head as the
// runtime's int8 MLP, its input range calibrated on the pooled vectors of real texts computed
// from the quantized rows (what the runtime will pool).
#pragma once

#include <ATen/core/Tensor.h>

#include "distill/compression/text_int8_common.h"
#include "distill/models/bag_of_embeddings.h"

namespace distill::compression {

/// calibration_ids: (N, L) token ids as training saw them.
runtime::Int8TextModel quantize_bag_of_embeddings(models::BagOfEmbeddings& model,
                                                  const TextModelContext& context,
                                                  const at::Tensor& calibration_ids,
                                                  const Int8ExportOptions& options);

}  // namespace distill::compression
