// Shared steps of the int8 text exporters.
#include "distill/compression/text_int8_common.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <limits>

#include "distill/models/classifier.h"

namespace distill::compression {

runtime::Int8TextModel int8_text_model_with_rows(const models::ModelSpec& spec,
                                                 const TextModelContext& context,
                                                 const at::Tensor& table) {
  at::NoGradGuard no_grad;
  runtime::Int8TextModel out;
  out.tokenizer_model = context.tokenizer_model;
  out.max_tokens = context.encoding.max_tokens;
  out.cls_first = context.encoding.cls_first;
  out.class_names = context.class_names;
  out.vocab_size = spec.vocab_size;
  out.embedding_dim = spec.embedding_dim;
  const at::Tensor rows = table.detach().to(at::kFloat).contiguous();
  const at::Tensor scales =
      (rows.abs().amax(1) / 127.0).clamp_min(std::numeric_limits<float>::min()).contiguous();
  const at::Tensor codes =
      at::round(rows / scales.unsqueeze(1)).clamp(-127, 127).to(at::kChar).contiguous();
  out.embeddings.assign(codes.data_ptr<int8_t>(), codes.data_ptr<int8_t>() + codes.numel());
  out.row_scales.assign(scales.data_ptr<float>(), scales.data_ptr<float>() + scales.numel());
  return out;
}

at::Tensor dequantized_embeddings(const runtime::Int8TextModel& model) {
  const int64_t rows = model.vocab_size + model.bigram_buckets;
  const at::Tensor codes =
      at::from_blob(const_cast<int8_t*>(model.embeddings.data()), {rows, model.embedding_dim}, at::kChar);
  const at::Tensor scales =
      at::from_blob(const_cast<float*>(model.row_scales.data()), {rows, 1}, at::kFloat);
  return codes.to(at::kFloat) * scales;
}

runtime::Int8Model quantize_text_head(const at::Tensor& weight, const at::Tensor& bias,
                                      const at::Tensor& pooled, const Int8ExportOptions& options) {
  at::NoGradGuard no_grad;
  models::ModelSpec head_spec;
  head_spec.kind = models::ModelKind::kMlp;
  head_spec.input_shape = {weight.size(1)};
  head_spec.hidden = {};
  head_spec.num_classes = weight.size(0);
  auto head = models::build_classifier(head_spec);
  auto params = head->named_parameters();
  params["fc1.weight"].copy_(weight);
  params["fc1.bias"].copy_(bias);
  return quantize_mlp(*head, data::Normalization{}, pooled, options);
}

}  // namespace distill::compression
