// Quantizing the bag of embeddings: per-row int8 rows, and the head through quantize_mlp.
#include "distill/compression/bag_int8_export.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/core/error.h"
#include "distill/models/mlp.h"

namespace distill::compression {

at::Tensor dequantized_embeddings(const runtime::Int8TextModel& model) {
  const int64_t rows = model.vocab_size + model.bigram_buckets;
  const at::Tensor codes =
      at::from_blob(const_cast<int8_t*>(model.embeddings.data()), {rows, model.embedding_dim}, at::kChar);
  const at::Tensor scales =
      at::from_blob(const_cast<float*>(model.row_scales.data()), {rows, 1}, at::kFloat);
  return codes.to(at::kFloat) * scales;
}

runtime::Int8TextModel quantize_bag_of_embeddings(models::BagOfEmbeddings& model,
                                                  const std::string& tokenizer_model,
                                                  const data::TextEncodingOptions& encoding,
                                                  const std::vector<std::string>& class_names,
                                                  const at::Tensor& calibration_ids,
                                                  const Int8ExportOptions& options) {
  at::NoGradGuard no_grad;
  const models::ModelSpec& spec = model.spec();
  runtime::Int8TextModel out;
  out.tokenizer_model = tokenizer_model;
  out.max_tokens = encoding.max_tokens;
  out.cls_first = encoding.cls_first;
  out.vocab_size = spec.vocab_size;
  out.bigram_buckets = spec.bigram_buckets;
  out.embedding_dim = spec.embedding_dim;
  out.class_names = class_names;

  // Symmetric per-row scales: the largest magnitude of a row maps to 127.
  const at::Tensor table = model.embeddings().detach().to(at::kFloat).contiguous();
  const at::Tensor scales =
      (table.abs().amax(1) / 127.0).clamp_min(std::numeric_limits<float>::min()).contiguous();
  const at::Tensor codes =
      at::round(table / scales.unsqueeze(1)).clamp(-127, 127).to(at::kChar).contiguous();
  out.embeddings.assign(codes.data_ptr<int8_t>(), codes.data_ptr<int8_t>() + codes.numel());
  out.row_scales.assign(scales.data_ptr<float>(), scales.data_ptr<float>() + scales.numel());

  // The head as a one-layer MLP over the pooled vector, calibrated on pooled real texts.
  models::ModelSpec head_spec;
  head_spec.kind = models::ModelKind::kMlp;
  head_spec.input_shape = {spec.embedding_dim};
  head_spec.hidden = {};
  head_spec.num_classes = spec.num_classes;
  auto head = models::build_classifier(head_spec);
  auto params = head->named_parameters();
  params["fc1.weight"].copy_(model.head()->weight);
  params["fc1.bias"].copy_(model.head()->bias);
  const models::BagRows bag = models::bag_rows(calibration_ids, spec.vocab_size, spec.bigram_buckets);
  const at::Tensor pooled = std::get<0>(at::embedding_bag(
      dequantized_embeddings(out), at::tensor(bag.rows, at::kLong),
      at::tensor(bag.offsets, at::kLong), false, /*mode=*/1));
  out.head = quantize_mlp(*head, data::Normalization{}, pooled, options);
  out.description = "int8 " + models::describe_model_spec(spec) + " (embedding rows int8 with a " +
                    "scale each; head " + out.head.description + ")";
  return out;
}

}  // namespace distill::compression
