// Quantizing the convolutional text student, and the libtorch form of what the runtime computes.
#include "distill/compression/text_cnn_int8_export.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>

#include "distill/core/error.h"
#include "distill/text/tokenizer_options.h"

namespace distill::compression {
namespace {

int64_t widest(const runtime::Int8TextModel& model) {
  int64_t width = 1;
  for (const auto& conv : model.convolutions) width = std::max(width, conv.width);
  return width;
}

}  // namespace

runtime::Int8TextModel quantize_text_cnn(models::TextCnn& model, const TextModelContext& context,
                                         const at::Tensor& calibration_ids,
                                         const Int8ExportOptions& options) {
  at::NoGradGuard no_grad;
  const models::ModelSpec& spec = model.spec();
  runtime::Int8TextModel out =
      int8_sequence_model(spec, context, model.token_embedding()->weight,
                          runtime::TextEncoder::kConvolutions, calibration_ids, options);
  for (size_t i = 0; i < model.convolutions().size(); ++i) {
    const auto& conv = model.convolutions()[i];
    // (F, E, w) -> (F, w, E): a window's codes are read position by position.
    Int8Rows weights = quantize_rows(conv->weight.permute({0, 2, 1}).reshape({spec.filters, -1}));
    const at::Tensor bias = conv->bias.detach().contiguous();
    runtime::QuantizedTextConvolution q;
    q.width = spec.kernel_widths[i];
    q.filters = spec.filters;
    q.weights = std::move(weights.codes);
    q.weight_scales = std::move(weights.scales);
    q.bias.assign(bias.data_ptr<float>(), bias.data_ptr<float>() + bias.numel());
    out.convolutions.push_back(std::move(q));
  }
  const at::Tensor pooled = simulate_text_convolutions(out, calibration_ids);
  out.head = quantize_text_head(model.head()->weight, model.head()->bias, pooled, options);
  out.description = "int8 " + models::describe_model_spec(spec) +
                    " (embedding rows int8 with a scale each; sequence uint8; convolutions int8 "
                    "per filter; head " + out.head.description + ")";
  return out;
}

at::Tensor simulate_text_convolutions(const runtime::Int8TextModel& model, const at::Tensor& ids) {
  at::NoGradGuard no_grad;
  const int64_t width = model.embedding_dim;
  const at::Tensor sequence =
      fake_quantized_sequence(model, ids, std::max(ids.size(1), widest(model))).transpose(1, 2);
  const at::Tensor lengths = (ids != text::kPadTokenId).sum(1).clamp_min(1).unsqueeze(1);
  std::vector<at::Tensor> maxima;
  for (const auto& conv : model.convolutions) {
    const at::Tensor weight = dequantized_rows(conv.weights, conv.weight_scales, conv.width * width)
                                  .view({conv.filters, conv.width, width})
                                  .permute({0, 2, 1})
                                  .contiguous();
    const at::Tensor bias =
        at::from_blob(const_cast<float*>(conv.bias.data()), {conv.filters}, at::kFloat);
    const at::Tensor y = at::relu(at::conv1d(sequence, weight, bias));  // (N, F, windows)
    const at::Tensor starts = at::arange(y.size(2), ids.options()).unsqueeze(0);
    const at::Tensor counted = starts.le((lengths - conv.width).clamp_min(0)).to(at::kFloat);
    maxima.push_back(std::get<0>((y * counted.unsqueeze(1)).max(2)));
  }
  return at::cat(maxima, 1);
}

}  // namespace distill::compression
