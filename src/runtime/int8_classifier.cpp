// The int8 forward pass.
#include "distill/runtime/int8_classifier.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "distill/core/error.h"

namespace distill::runtime {
namespace {

/// Rows each thread must get before a batch is split: below this, waking a thread costs more
/// than the rows take (one row of the default student runs in ~1.3 µs).
constexpr int64_t kMinRowsPerThread = 32;

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

void run_gemm(Int8Kernels kernels, const kernels::Int8GemmParams& params, const uint8_t* a,
              const int8_t* weights, void* y) {
  if (kernels == Int8Kernels::kOneDnn)
    kernels::onednn_int8_gemm(params, a, weights, y);
  else
    kernels::reference_int8_gemm(params, a, weights, y);
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
  if (kernels_ != Int8Kernels::kOneDnn || model_.activations != ActivationQuantization::kStatic)
    return;
  float scale = model_.input_scale;
  int32_t zero_point = model_.input_zero_point;
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

template <typename RowsFunction>
void Int8Classifier::for_each_slice(int64_t batch, const RowsFunction& run) {
  const int64_t slices = std::clamp<int64_t>(batch / kMinRowsPerThread, 1, threads_);
  if (slices == 1) {
    run(0, batch, scratch_[0]);
    return;
  }
  std::exception_ptr failure;
#pragma omp parallel for num_threads(static_cast<int>(slices)) schedule(static, 1)
  for (int64_t s = 0; s < slices; ++s) {
    const int64_t begin = batch * s / slices, end = batch * (s + 1) / slices;
    try {
      run(begin, end - begin, scratch_[static_cast<size_t>(s)]);
    } catch (...) {
#pragma omp critical
      failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
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
    std::vector<uint8_t>& quantized = scratch.input;
    quantized.resize(static_cast<size_t>(rows * features));
    kernels::quantize_to_uint8(inputs + begin * features, rows * features, model_.input_scale,
                               model_.input_zero_point, quantized.data());
    run_static(quantized.data(), rows, logits + begin * model_.num_classes, scratch);
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

void Int8Classifier::run_static(const uint8_t* quantized, int64_t rows, float* logits,
                                Scratch& scratch) {
  const uint8_t* x = quantized;
  float scale = model_.input_scale;
  int32_t zero_point = model_.input_zero_point;
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
