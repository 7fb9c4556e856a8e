// Shared steps of the int8 text exporters.
#include "distill/compression/text_int8_common.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <limits>

#include "distill/compression/observers.h"
#include "distill/core/error.h"
#include "distill/kernels/quantize.h"
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
  Int8Rows rows = quantize_rows(table);
  out.embeddings = std::move(rows.codes);
  out.row_scales = std::move(rows.scales);
  return out;
}

Int8Rows quantize_rows(const at::Tensor& matrix) {
  at::NoGradGuard no_grad;
  const at::Tensor rows = matrix.detach().to(at::kFloat).contiguous();
  const at::Tensor scales =
      (rows.abs().amax(1) / 127.0).clamp_min(std::numeric_limits<float>::min()).contiguous();
  const at::Tensor codes =
      at::round(rows / scales.unsqueeze(1)).clamp(-127, 127).to(at::kChar).contiguous();
  Int8Rows out;
  out.codes.assign(codes.data_ptr<int8_t>(), codes.data_ptr<int8_t>() + codes.numel());
  out.scales.assign(scales.data_ptr<float>(), scales.data_ptr<float>() + scales.numel());
  return out;
}

at::Tensor dequantized_rows(const std::vector<int8_t>& codes, const std::vector<float>& scales,
                            int64_t columns) {
  const int64_t rows = static_cast<int64_t>(scales.size());
  return at::from_blob(const_cast<int8_t*>(codes.data()), {rows, columns}, at::kChar).to(at::kFloat) *
         at::from_blob(const_cast<float*>(scales.data()), {rows, 1}, at::kFloat);
}

runtime::Int8TextModel int8_sequence_model(const models::ModelSpec& spec,
                                           const TextModelContext& context, const at::Tensor& table,
                                           runtime::TextEncoder encoder,
                                           const at::Tensor& calibration_ids,
                                           const Int8ExportOptions& options) {
  DISTILL_CHECK_HINT(options.activations == runtime::ActivationQuantization::kStatic,
                     "set quantize.activations: static", "the ", models::to_string(spec.kind),
                     " student is quantized with static activations; dynamic ones cover MLP "
                     "students");
  at::NoGradGuard no_grad;
  runtime::Int8TextModel out = int8_text_model_with_rows(spec, context, table);
  out.encoder = encoder;
  const at::Tensor rows = at::embedding(dequantized_embeddings(out), calibration_ids);
  const auto [lo, hi] = observe_range(rows, options.observer);
  kernels::uint8_range_parameters(lo, hi, &out.sequence_scale, &out.sequence_zero_point);
  return out;
}

at::Tensor fake_quantized_sequence(const runtime::Int8TextModel& model, const at::Tensor& ids,
                                   int64_t positions) {
  at::NoGradGuard no_grad;
  at::Tensor rows = at::embedding(dequantized_embeddings(model), ids);
  if (rows.size(1) < positions)
    rows = at::constant_pad_nd(rows, {0, 0, 0, positions - rows.size(1)}, 0.0);
  const float scale = model.sequence_scale;
  const float zero = static_cast<float>(model.sequence_zero_point);
  return (at::round(rows * (1.0f / scale) + zero).clamp(0, 255) - zero) * scale;
}

at::Tensor dequantized_embeddings(const runtime::Int8TextModel& model) {
  return dequantized_rows(model.embeddings, model.row_scales, model.embedding_dim);
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
