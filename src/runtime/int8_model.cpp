// Int8Model validation.
#include "distill/runtime/int8_model.h"

#include <cmath>

#include "distill/core/error.h"

namespace distill::runtime {

const char* to_string(ActivationQuantization mode) {
  switch (mode) {
    case ActivationQuantization::kStatic: return "static";
    case ActivationQuantization::kDynamic: return "dynamic";
  }
  return "unknown";
}

int64_t Int8Model::input_features() const {
  int64_t count = input_shape.empty() ? 0 : 1;
  for (int64_t d : input_shape) count *= d;
  return count;
}

void validate(const Int8Model& model, const std::string& source) {
  const std::string where = "int8 model '" + source + "'";
  DISTILL_CHECK(!model.input_shape.empty() && model.input_shape.size() <= 4, where,
                ": input shape must have 1 to 4 dimensions, got ", model.input_shape.size());
  for (int64_t d : model.input_shape)
    DISTILL_CHECK(d > 0 && d <= (int64_t{1} << 24), where, ": input dimension ", d,
                  " out of range (1 to 2^24)");
  DISTILL_CHECK(model.num_classes >= 2, where, ": num_classes must be >= 2, got ",
                model.num_classes);
  DISTILL_CHECK(!model.layers.empty(), where, ": no layers");
  DISTILL_CHECK(std::isfinite(model.input_scale) && model.input_scale > 0, where,
                ": input scale must be finite and > 0, got ", model.input_scale);
  DISTILL_CHECK(model.input_zero_point >= 0 && model.input_zero_point <= 255, where,
                ": input zero point must be in [0, 255], got ", model.input_zero_point);
  int64_t width = model.input_features();
  DISTILL_CHECK(width <= (int64_t{1} << 26), where, ": ", width, " input features is too many");
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const QuantizedLinearLayer& layer = model.layers[i];
    const std::string name = where + ": layer " + std::to_string(i + 1);
    const bool last = i + 1 == model.layers.size();
    DISTILL_CHECK(layer.in_features == width, name, " takes ", layer.in_features,
                  " features but receives ", width);
    DISTILL_CHECK(layer.out_features > 0 && layer.out_features <= (int64_t{1} << 20), name,
                  ": out_features ", layer.out_features, " out of range (1 to 2^20)");
    DISTILL_CHECK(static_cast<int64_t>(layer.weights.size()) == layer.in_features * layer.out_features,
                  name, " has ", layer.weights.size(), " weights, expected ",
                  layer.in_features * layer.out_features);
    DISTILL_CHECK(static_cast<int64_t>(layer.weight_scales.size()) == layer.out_features, name,
                  " has ", layer.weight_scales.size(), " weight scales, expected ",
                  layer.out_features);
    DISTILL_CHECK(static_cast<int64_t>(layer.bias.size()) == layer.out_features, name, " has ",
                  layer.bias.size(), " biases, expected ", layer.out_features);
    for (size_t j = 0; j < layer.weight_scales.size(); ++j)
      DISTILL_CHECK(std::isfinite(layer.weight_scales[j]) && layer.weight_scales[j] > 0, name,
                    ": weight scale ", j, " is ", layer.weight_scales[j], ", expected finite > 0");
    for (size_t j = 0; j < layer.bias.size(); ++j)
      DISTILL_CHECK(std::isfinite(layer.bias[j]), name, ": bias ", j, " is ", layer.bias[j]);
    DISTILL_CHECK(layer.relu == !last, name,
                  last ? " (the logits) must not end with ReLU" : " must end with ReLU");
    DISTILL_CHECK(last || (std::isfinite(layer.output_scale) && layer.output_scale > 0), name,
                  ": output scale must be finite and > 0, got ", layer.output_scale);
    width = layer.out_features;
  }
  DISTILL_CHECK(width == model.num_classes, where, ": the last layer has ", width,
                " outputs but num_classes is ", model.num_classes);
}

}  // namespace distill::runtime
