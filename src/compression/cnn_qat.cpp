// Quantization-aware training of a folded CNN with the int8 runtime's arithmetic.
#include "distill/compression/cnn_qat.h"

#include <ATen/ATen.h>

#include "conv_ops.h"
#include "distill/compression/fake_quantization.h"
#include "distill/core/error.h"

namespace distill::compression {

FakeQuantizedCnn::FakeQuantizedCnn(const models::ModelSpec& spec, const FoldedCnn& network,
                                   runtime::Int8Model calibrated,
                                   data::Normalization normalization)
    : Classifier(spec),
      network_(network),
      calibrated_(std::move(calibrated)),
      normalization_(std::move(normalization)) {
  DISTILL_CHECK(calibrated_.is_cnn() &&
                    calibrated_.convolutions.size() == network_.convolutions.size() &&
                    calibrated_.layers.size() == 1,
                "quantization-aware training of a CNN needs the int8 model calibrated from its "
                "folded network: ", network_.convolutions.size(), " convolutions and a head, got ",
                calibrated_.convolutions.size(), " convolutions and ", calibrated_.layers.size(),
                " linear layers");
  for (size_t i = 0; i < network_.convolutions.size(); ++i) {
    FoldedConv& conv = network_.convolutions[i];
    conv.weight = register_parameter("conv" + std::to_string(i) + "_weight",
                                     conv.weight.detach().clone());
    conv.bias =
        register_parameter("conv" + std::to_string(i) + "_bias", conv.bias.detach().clone());
  }
  network_.head_weight = register_parameter("head_weight", network_.head_weight.detach().clone());
  network_.head_bias = register_parameter("head_bias", network_.head_bias.detach().clone());
}

runtime::Int8Model FakeQuantizedCnn::quantized() const {
  runtime::Int8Model model = with_folded_weights(calibrated_, network_);
  model.description += ", quantization-aware trained";
  return model;
}

at::Tensor FakeQuantizedCnn::run(const at::Tensor& inputs, models::FeatureTaps*) {
  const runtime::Int8Model& q = calibrated_;
  const at::Tensor raw = normalization_.empty() ? inputs : normalization_.invert(inputs);
  const at::Tensor x = at::fake_quantize_per_tensor_affine(raw.to(at::kFloat), q.input_scale,
                                                           q.input_zero_point, 0, 255);
  std::vector<at::Tensor> values;
  for (size_t i = 0; i < network_.convolutions.size(); ++i) {
    const FoldedConv& conv = network_.convolutions[i];
    const runtime::QuantizedConvLayer& ranges = q.convolutions[i];
    const bool first = conv.input < 0;
    // Padding takes the input's code pad_value, as in the runtime.
    const double pad = runtime::conv_input_encoding(q, ranges).value(ranges.pad_value);
    at::Tensor y = convolve(first ? x : values[conv.input], fake_quantize_int8_weight(conv.weight),
                            conv.bias, conv.stride, conv.padding, conv.groups, pad);
    if (conv.residual >= 0) y = y + values[conv.residual];
    values.push_back(at::fake_quantize_per_tensor_affine(activate(y, conv.activation),
                                                         ranges.output_scale,
                                                         ranges.output_zero_point, 0, 255));
  }
  const at::Tensor pooled =
      at::fake_quantize_per_tensor_affine(values.back().mean({2, 3}), q.pooled_scale, 0, 0, 255);
  return at::linear(pooled, fake_quantize_int8_weight(network_.head_weight), network_.head_bias);
}

}  // namespace distill::compression
