// The int8 forward pass.
#include "distill/runtime/int8_classifier.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "distill/core/error.h"
#include "spinning_workers.h"

namespace distill::runtime {
namespace {

/// Rows each thread must get before a batch is split: below this, waking a thread costs more
/// than the rows take (one row of the default MLP student runs in ~1.3 µs, of the ResNet-style
/// CNN student in ~45 µs).
constexpr int64_t kMinMlpRowsPerThread = 32;
constexpr int64_t kMinCnnRowsPerThread = 2;

kernels::Int8GemmParams layer_params(const QuantizedLinearLayer& layer, int64_t rows,
                                     float input_scale, int32_t input_zero_point) {
  kernels::Int8GemmParams p;
  p.m = rows;
  p.n = layer.out_features;
  p.k = layer.in_features;
  p.input_scale = input_scale;
  p.input_zero_point = input_zero_point;
  p.weight_scales = layer.weight_scales.data();
  p.bias = layer.bias.data();
  return p;
}

/// The kernel parameters of convolution i (batch left 0): its input's scale and zero point
/// come from the layer that produced it, the clamp from its activation.
kernels::Int8ConvParams conv_params(const Int8Model& model, size_t i,
                                    const std::vector<ConvGeometry>& geometry) {
  const QuantizedConvLayer& conv = model.convolutions[i];
  kernels::Int8ConvParams p;
  p.height = geometry[i].in_height;
  p.width = geometry[i].in_width;
  p.in_channels = conv.in_channels;
  p.out_channels = conv.out_channels;
  p.kernel = conv.kernel;
  p.stride = conv.stride;
  p.padding = conv.padding;
  p.groups = conv.groups;
  const Uint8Encoding input = conv_input_encoding(model, conv);
  p.input_scale = input.scale;
  p.input_zero_point = input.zero_point;
  p.pad_value = conv.pad_value;
  p.weight_scales = conv.weight_scales.data();
  p.bias = conv.bias.data();
  if (conv.residual >= 0) {
    p.residual = true;
    p.residual_scale = model.convolutions[conv.residual].output_scale;
    p.residual_zero_point = model.convolutions[conv.residual].output_zero_point;
  }
  if (conv.activation != ConvActivation::kNone) p.clamp_min = 0.0f;
  if (conv.activation == ConvActivation::kRelu6) p.clamp_max = 6.0f;
  p.output_scale = conv.output_scale;
  p.output_zero_point = conv.output_zero_point;
  return p;
}

void run_gemm(Int8Kernels kernels, const kernels::Int8GemmParams& params, const uint8_t* a,
              const int8_t* weights, void* y) {
  if (kernels == Int8Kernels::kOneDnn)
    kernels::onednn_int8_gemm(params, a, weights, y);
  else
    kernels::reference_int8_gemm(params, a, weights, y);
}

/// The first linear layer reads the pooled features of a CNN, the model's input otherwise.
float linear_input_scale(const Int8Model& model) {
  return model.is_cnn() ? model.pooled_scale : model.input_scale;
}
int32_t linear_input_zero_point(const Int8Model& model) {
  return model.is_cnn() ? 0 : model.input_zero_point;
}

}  // namespace

const char* to_string(Int8Kernels kernels) {
  switch (kernels) {
    case Int8Kernels::kReference: return "reference";
    case Int8Kernels::kOneDnn: return "onednn";
  }
  return "unknown";
}

Int8Classifier::Int8Classifier(Int8Model model, Int8Kernels kernels, int threads)
    : model_(std::move(model)), kernels_(kernels) {
  validate(model_, "in memory");
  DISTILL_CHECK(threads >= 0, "thread count must be >= 0 (0: OpenMP's default), got ", threads);
  threads_ = threads > 0 ? threads : omp_get_max_threads();
  scratch_.resize(static_cast<size_t>(threads_));
  if (model_.is_cnn()) {
    const std::vector<ConvGeometry> geometry = conv_geometry(model_);
    for (size_t i = 0; i < model_.convolutions.size(); ++i) {
      conv_params_.push_back(conv_params(model_, i, geometry));
      if (kernels_ == Int8Kernels::kOneDnn)
        prepared_convs_.emplace_back(conv_params_.back(), model_.convolutions[i].weights.data());
    }
  }
  if (kernels_ != Int8Kernels::kOneDnn || model_.activations != ActivationQuantization::kStatic)
    return;
  float scale = linear_input_scale(model_);
  int32_t zero_point = linear_input_zero_point(model_);
  for (const QuantizedLinearLayer& layer : model_.layers) {
    kernels::Int8GemmParams p = layer_params(layer, 0, scale, zero_point);
    if (layer.relu) {
      // Hidden layer: uint8 output with zero point 0, so saturation at 0 is the ReLU.
      p.output = kernels::Int8Output::kUint8;
      p.output_scale = layer.output_scale;
      scale = layer.output_scale;
      zero_point = 0;
    }
    prepared_.emplace_back(p, layer.weights.data());
  }
}

Int8Classifier::~Int8Classifier() = default;
Int8Classifier::Int8Classifier(Int8Classifier&&) noexcept = default;
Int8Classifier& Int8Classifier::operator=(Int8Classifier&&) noexcept = default;

template <typename RowsFunction>
void Int8Classifier::for_each_slice(int64_t batch, const RowsFunction& run) {
  const int64_t min_rows = model_.is_cnn() ? kMinCnnRowsPerThread : kMinMlpRowsPerThread;
  const int64_t slices = std::clamp<int64_t>(batch / min_rows, 1, threads_);
  if (slices == 1) {
    run(0, batch, scratch_[0]);
    return;
  }
  if (!workers_) workers_ = std::make_unique<SpinningWorkers>(threads_);
  workers_->run(static_cast<int>(slices), [&](int s) {
    const int64_t begin = batch * s / slices, end = batch * (s + 1) / slices;
    run(begin, end - begin, scratch_[static_cast<size_t>(s)]);
  });
}

void Int8Classifier::logits(const float* inputs, int64_t batch, float* logits) {
  DISTILL_CHECK(batch >= 0, "batch size must be >= 0, got ", batch);
  if (batch == 0) return;
  if (model_.activations == ActivationQuantization::kDynamic) {
    // The batch's own ranges set the scales, so the batch is not split.
    run_dynamic(inputs, batch, logits, scratch_[0]);
    return;
  }
  const int64_t features = model_.input_features();
  for_each_slice(batch, [&](int64_t begin, int64_t rows, Scratch& scratch) {
    quantize_inputs(inputs + begin * features, rows, scratch.input);
    run_static(scratch.input.data(), rows, logits + begin * model_.num_classes, scratch);
  });
}

void Int8Classifier::logits_from_quantized(const uint8_t* inputs, int64_t batch, float* logits) {
  DISTILL_CHECK(batch >= 0, "batch size must be >= 0, got ", batch);
  DISTILL_CHECK(model_.activations == ActivationQuantization::kStatic,
                "quantized inputs need a static model; this one quantizes each batch "
                "dynamically, so pass float inputs to logits()");
  const int64_t features = model_.input_features();
  for_each_slice(batch, [&](int64_t begin, int64_t rows, Scratch& scratch) {
    run_static(inputs + begin * features, rows, logits + begin * model_.num_classes, scratch);
  });
}

bool Int8Classifier::takes_pixel_bytes() const {
  return model_.activations == ActivationQuantization::kStatic &&
         model_.input_scale == 1.0f / 255.0f && model_.input_zero_point == 0;
}

void Int8Classifier::quantize_inputs(const float* inputs, int64_t rows,
                                     std::vector<uint8_t>& quantized) const {
  const int64_t features = model_.input_features();
  quantized.resize(static_cast<size_t>(rows * features));
  const int64_t channels = model_.is_cnn() ? model_.input_shape[0] : 1;
  if (channels == 1) {  // (C, H, W) and (H, W, C) are the same order
    kernels::quantize_to_uint8(inputs, rows * features, model_.input_scale,
                               model_.input_zero_point, quantized.data());
    return;
  }
  // CNN inputs with several channels: (C, H, W) floats to (H, W, C) codes.
  std::vector<uint8_t> plane(static_cast<size_t>(features));
  const int64_t pixels = features / channels;
  for (int64_t n = 0; n < rows; ++n) {
    kernels::quantize_to_uint8(inputs + n * features, features, model_.input_scale,
                               model_.input_zero_point, plane.data());
    uint8_t* sample = quantized.data() + n * features;
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t q = 0; q < pixels; ++q) sample[q * channels + c] = plane[c * pixels + q];
  }
}

void Int8Classifier::run_static(const uint8_t* quantized, int64_t rows, float* logits,
                                Scratch& scratch) {
  const uint8_t* x = model_.is_cnn() ? run_convolutions(quantized, rows, scratch) : quantized;
  run_linear_layers(x, rows, logits, scratch);
}

const uint8_t* Int8Classifier::run_convolutions(const uint8_t* quantized, int64_t rows,
                                                Scratch& scratch) {
  scratch.convolved.resize(conv_params_.size());
  for (size_t i = 0; i < conv_params_.size(); ++i) {
    const QuantizedConvLayer& conv = model_.convolutions[i];
    kernels::Int8ConvParams p = conv_params_[i];
    p.batch = rows;
    const uint8_t* x = conv.input < 0 ? quantized : scratch.convolved[conv.input].data();
    const uint8_t* residual =
        conv.residual < 0 ? nullptr : scratch.convolved[conv.residual].data();
    std::vector<uint8_t>& y = scratch.convolved[i];
    y.resize(static_cast<size_t>(rows * p.out_height() * p.out_width() * p.out_channels));
    if (prepared_convs_.empty())
      kernels::reference_int8_conv(p, x, conv.weights.data(), residual, y.data());
    else
      prepared_convs_[i].run(rows, x, residual, y.data());
  }
  const kernels::Int8ConvParams& last = conv_params_.back();
  scratch.pooled.resize(static_cast<size_t>(rows * last.out_channels));
  kernels::int8_global_average_pool(scratch.convolved.back().data(), rows,
                                    last.out_height() * last.out_width(), last.out_channels,
                                    last.output_scale, last.output_zero_point, model_.pooled_scale,
                                    0, scratch.pooled.data());
  return scratch.pooled.data();
}

void Int8Classifier::run_linear_layers(const uint8_t* x, int64_t rows, float* logits,
                                       Scratch& scratch) {
  float scale = linear_input_scale(model_);
  int32_t zero_point = linear_input_zero_point(model_);
  for (size_t i = 0; i < model_.layers.size(); ++i) {
    const QuantizedLinearLayer& layer = model_.layers[i];
    const bool last = i + 1 == model_.layers.size();
    void* y = logits;
    if (!last) {
      std::vector<uint8_t>& out = scratch.hidden[i % 2];
      out.resize(static_cast<size_t>(rows * layer.out_features));
      y = out.data();
    }
    if (!prepared_.empty()) {
      prepared_[i].run(rows, x, y);
    } else {
      kernels::Int8GemmParams p = layer_params(layer, rows, scale, zero_point);
      if (!last) {
        p.output = kernels::Int8Output::kUint8;
        p.output_scale = layer.output_scale;
      }
      run_gemm(kernels_, p, x, layer.weights.data(), y);
    }
    if (last) return;
    x = static_cast<const uint8_t*>(y);
    scale = layer.output_scale;
    zero_point = 0;
  }
}

void Int8Classifier::run_dynamic(const float* inputs, int64_t rows, float* logits,
                                 Scratch& scratch) {
  const float* x = inputs;
  int64_t width = model_.input_features();
  for (size_t i = 0; i < model_.layers.size(); ++i) {
    const QuantizedLinearLayer& layer = model_.layers[i];
    // This batch's range of the layer's input sets its uint8 scale and zero point.
    const auto [lo, hi] = std::minmax_element(x, x + rows * width);
    float scale;
    int32_t zero_point;
    kernels::uint8_range_parameters(*lo, *hi, &scale, &zero_point);
    scratch.input.resize(static_cast<size_t>(rows * width));
    kernels::quantize_to_uint8(x, rows * width, scale, zero_point, scratch.input.data());
    const kernels::Int8GemmParams p = layer_params(layer, rows, scale, zero_point);
    if (i + 1 == model_.layers.size()) {
      run_gemm(kernels_, p, scratch.input.data(), layer.weights.data(), logits);
      return;
    }
    std::vector<float>& y = scratch.activations[i % 2];
    y.resize(static_cast<size_t>(rows * layer.out_features));
    run_gemm(kernels_, p, scratch.input.data(), layer.weights.data(), y.data());
    for (float& v : y) v = std::max(v, 0.0f);
    x = y.data();
    width = layer.out_features;
  }
}

std::vector<int64_t> Int8Classifier::predict(const float* inputs, int64_t batch) {
  std::vector<float> scores(static_cast<size_t>(batch * model_.num_classes));
  logits(inputs, batch, scores.data());
  std::vector<int64_t> classes(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) {
    const float* row = scores.data() + i * model_.num_classes;
    classes[i] = std::max_element(row, row + model_.num_classes) - row;
  }
  return classes;
}

}  // namespace distill::runtime
