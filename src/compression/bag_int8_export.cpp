// Quantizing the bag of embeddings: per-row int8 rows (token and bigram), the head calibrated on
// pooled real texts.
#include "distill/compression/bag_int8_export.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace distill::compression {

runtime::Int8TextModel quantize_bag_of_embeddings(models::BagOfEmbeddings& model,
                                                  const TextModelContext& context,
                                                  const at::Tensor& calibration_ids,
                                                  const Int8ExportOptions& options) {
  at::NoGradGuard no_grad;
  const models::ModelSpec& spec = model.spec();
  runtime::Int8TextModel out = int8_text_model_with_rows(spec, context, model.embeddings());
  out.bigram_buckets = spec.bigram_buckets;
  out.encoder = runtime::TextEncoder::kBag;
  // The head over the pooled vector, calibrated on pooled real texts (from the quantized rows).
  const models::BagRows bag = models::bag_rows(calibration_ids, spec.vocab_size, spec.bigram_buckets);
  const at::Tensor pooled = std::get<0>(at::embedding_bag(
      dequantized_embeddings(out), at::tensor(bag.rows, at::kLong),
      at::tensor(bag.offsets, at::kLong), false, /*mode=*/1));
  out.head = quantize_text_head(model.head()->weight, model.head()->bias, pooled, options);
  out.description = "int8 " + models::describe_model_spec(spec) + " (embedding rows int8 with a " +
                    "scale each; head " + out.head.description + ")";
  return out;
}

}  // namespace distill::compression
