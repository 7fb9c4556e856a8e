// A CNN's folded network on oneDNN, and its linear head.
#include "distill/compression/folded_cnn_inference.h"

#include <ATen/ATen.h>

#include "conv_ops.h"
#include "distill/core/error.h"
#include "distill/kernels/compute_path.h"
#include "distill/kernels/gemm.h"
#include "distill/models/model_spec.h"

namespace distill::compression {
namespace {

void set_clamp(runtime::ConvActivation activation, kernels::Fp32ConvLayer& layer) {
  switch (activation) {
    case runtime::ConvActivation::kNone: return;
    case runtime::ConvActivation::kRelu: layer.clamp_min = 0.0f; return;
    case runtime::ConvActivation::kRelu6:
      layer.clamp_min = 0.0f;
      layer.clamp_max = 6.0f;
      return;
  }
}

}  // namespace

kernels::Fp32ConvNetwork to_conv_network(const FoldedCnn& network,
                                         const std::vector<int64_t>& input_shape,
                                         float* input_offset) {
  // The input is shifted by the pad value of the convolutions that read it: over x − p, their
  // padding is 0 and their outputs gain p · Σ w, which goes into their biases.
  float offset = 0;
  for (const FoldedConv& conv : network.convolutions)
    if (conv.input < 0 && conv.padding > 0) offset = conv.pad;
  kernels::Fp32ConvNetwork out;
  out.input_shape = input_shape;
  for (const FoldedConv& conv : network.convolutions) {
    const bool reads_input = conv.input < 0;
    if (conv.padding > 0)
      DISTILL_CHECK(conv.pad == (reads_input ? offset : 0.0f), "convolution '", conv.name,
                    "' pads with ", conv.pad, ", but oneDNN pads with 0 and the input can be "
                    "shifted by one value (", offset, ") only");
    kernels::Fp32ConvLayer layer;
    copy_conv_geometry(conv, layer);
    set_clamp(conv.activation, layer);
    layer.weights = float_values(conv.weight);
    layer.bias = float_values(reads_input && offset != 0.0f
                               ? conv.bias + conv.weight.sum({1, 2, 3}) * offset
                               : conv.bias);
    out.layers.push_back(std::move(layer));
  }
  if (input_offset) *input_offset = offset;
  return out;
}

FoldedCnnInference::FoldedCnnInference(const FoldedCnn& network,
                                       const std::vector<int64_t>& input_shape)
    : convolutions_(to_conv_network(network, input_shape, &input_offset_)) {
  input_features_ = input_shape.at(0) * input_shape.at(1) * input_shape.at(2);
  classes_ = network.head_weight.size(0);
  DISTILL_CHECK(network.head_weight.size(1) == convolutions_.network().pooled_channels(),
                "the head takes ", network.head_weight.size(1), " features but the last "
                "convolution has ", convolutions_.network().pooled_channels(), " channels");
  head_weight_ = float_values(network.head_weight);
  head_bias_ = float_values(network.head_bias);
}

void FoldedCnnInference::logits(const float* inputs, int64_t batch, float* logits) {
  DISTILL_CHECK(batch >= 0, "batch size must be >= 0, got ", batch);
  if (batch == 0) return;
  if (input_offset_ != 0.0f) {
    shifted_.resize(static_cast<size_t>(batch * input_features_));
    for (size_t i = 0; i < shifted_.size(); ++i) shifted_[i] = inputs[i] - input_offset_;
    inputs = shifted_.data();
  }
  const int64_t channels = convolutions_.network().pooled_channels();
  pooled_.resize(static_cast<size_t>(batch * channels));
  convolutions_.run(batch, inputs, pooled_.data());
  kernels::GemmShape shape;
  shape.m = batch;
  shape.n = classes_;
  shape.k = channels;
  shape.transpose_b = true;  // head_weight is (classes, channels)
  kernels::onednn_gemm_f32(shape, pooled_.data(), head_weight_.data(), head_bias_.data(), logits);
}

bool runs_folded_on_onednn(const models::Classifier& model) {
  return kernels::compute_path() == kernels::ComputePath::kFast && models::is_cnn(model.spec().kind);
}

std::unique_ptr<FoldedCnnInference> folded_cnn_inference(models::Classifier& model) {
  model.eval();
  return std::make_unique<FoldedCnnInference>(fold_cnn(model, data::Normalization{}),
                                              model.spec().input_shape);
}

}  // namespace distill::compression
