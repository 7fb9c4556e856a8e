// Validation, description and JSON round trip of ModelSpec.
#include "distill/models/model_spec.h"

#include <nlohmann/json.hpp>

#include <numeric>
#include <sstream>

#include "distill/core/error.h"

namespace distill::models {

bool is_cnn(ModelKind kind) { return kind == ModelKind::kResNet || kind == ModelKind::kMobileNet; }

const char* to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::kMlp: return "mlp";
    case ModelKind::kResNet: return "resnet";
    case ModelKind::kMobileNet: return "mobilenet";
    case ModelKind::kTorchScript: return "torchscript";
  }
  return "unknown";
}

const char* to_string(Activation activation) {
  switch (activation) {
    case Activation::kRelu: return "relu";
    case Activation::kGelu: return "gelu";
    case Activation::kTanh: return "tanh";
  }
  return "unknown";
}

namespace {

/// An upper bound on the parameter count of a spec whose sizes are each <= kMaxDimension, so
/// the products cannot overflow (at most 2^24 * 2^24 * 9 * 3 per layer, 256 layers).
double parameter_bound(const ModelSpec& spec) {
  const double inputs = std::accumulate(spec.input_shape.begin(), spec.input_shape.end(), 1.0,
                                        std::multiplies<>());
  double total = 0;
  if (spec.kind == ModelKind::kMlp) {
    double width = inputs;
    for (int64_t h : spec.hidden) {
      total += (width + 1) * static_cast<double>(h);
      width = static_cast<double>(h);
    }
    return total + (width + 1) * static_cast<double>(spec.num_classes);
  }
  double previous = static_cast<double>(spec.input_shape[0]);
  for (int64_t c : spec.channels) {
    const double channels = static_cast<double>(c);
    total += static_cast<double>(spec.blocks_per_stage) *
             (9 * (previous + channels) * channels + previous * channels + 4 * channels);
    previous = channels;
  }
  return total + (previous + 1) * static_cast<double>(spec.num_classes);
}

void check_dimension(int64_t value, const std::string& where, const std::string& field,
                     const char* expected_lower) {
  DISTILL_CHECK(value > 0, where, field, " = ", value, ": expected ", expected_lower);
  DISTILL_CHECK(value <= kMaxModelDimension, where, field, " = ", value,
                ": expected at most ", kMaxModelDimension);
}

void validate_cnn_spec(const ModelSpec& spec, const std::string& where) {
  DISTILL_CHECK_HINT(spec.input_shape.size() == 3, "use an mlp for tabular data", where, ": a ",
                     to_string(spec.kind), " needs image inputs [C, H, W], got ",
                     spec.input_shape.size(), "-dimensional samples");
  DISTILL_CHECK(!spec.channels.empty(), where, ".channels: expected at least one stage");
  for (size_t i = 0; i < spec.channels.size(); ++i)
    check_dimension(spec.channels[i], where, ".channels[" + std::to_string(i) + "]", "> 0");
  const auto max_blocks = static_cast<int64_t>(kMaxModelLayers);
  DISTILL_CHECK(spec.blocks_per_stage >= 1 && spec.blocks_per_stage <= max_blocks, where,
                ".blocks_per_stage = ", spec.blocks_per_stage, ": expected 1 to ", max_blocks);
  const size_t halvings = spec.channels.size() - 1;  // < kMaxModelLayers, so the shift is defined
  const int64_t downsampling = halvings < 62 ? int64_t{1} << halvings : INT64_MAX;
  DISTILL_CHECK(spec.input_shape[1] >= downsampling && spec.input_shape[2] >= downsampling, where,
                ": ", spec.channels.size(), " stages halve ", spec.input_shape[1], "x",
                spec.input_shape[2], " images ", spec.channels.size() - 1,
                " times; use fewer stages");
}

}  // namespace

void validate_model_spec(const ModelSpec& spec, const std::string& where) {
  DISTILL_CHECK(spec.num_classes >= 2, where, ": num_classes must be >= 2, got ", spec.num_classes);
  check_dimension(spec.num_classes, where, ".num_classes", "> 0");
  DISTILL_CHECK(spec.input_shape.size() == 1 || spec.input_shape.size() == 3, where,
                ": input_shape must be [F] or [C, H, W], got ", spec.input_shape.size(),
                " dimensions");
  for (size_t i = 0; i < spec.input_shape.size(); ++i)
    check_dimension(spec.input_shape[i], where, ".input_shape[" + std::to_string(i) + "]", "> 0");
  if (spec.kind == ModelKind::kTorchScript) return;  // its layers are the module's own
  const std::vector<int64_t>& layers = spec.kind == ModelKind::kMlp ? spec.hidden : spec.channels;
  DISTILL_CHECK(layers.size() <= kMaxModelLayers, where, ": ", layers.size(),
                spec.kind == ModelKind::kMlp ? " hidden layers" : " stages", ", expected at most ",
                kMaxModelLayers);
  if (spec.kind == ModelKind::kMlp) {
    for (size_t i = 0; i < spec.hidden.size(); ++i)
      check_dimension(spec.hidden[i], where, ".hidden[" + std::to_string(i) + "]",
                      "a layer width > 0");
    DISTILL_CHECK(spec.dropout >= 0.0 && spec.dropout < 1.0, where, ".dropout = ", spec.dropout,
                  ": expected a value in [0, 1)");
  } else {
    validate_cnn_spec(spec, where);
  }
  const double parameters = parameter_bound(spec);
  DISTILL_CHECK_HINT(parameters <= kMaxModelParameters, "use fewer or narrower layers", where,
                     ": ", describe_model_spec(spec), " has about ", parameters,
                     " parameters, more than the ", kMaxModelParameters, " distill accepts");
}

double minimum_parameter_count(const ModelSpec& spec) {
  if (spec.kind == ModelKind::kMlp) return parameter_bound(spec);  // exact for an MLP
  if (spec.kind == ModelKind::kTorchScript) return 0;
  // The stem's 3x3 convolution, one (pointwise or full) convolution per block, the head.
  double width = static_cast<double>(spec.channels.at(0));
  double total = 9 * static_cast<double>(spec.input_shape.at(0)) * width;
  for (int64_t c : spec.channels) {
    total += static_cast<double>(spec.blocks_per_stage) * width * static_cast<double>(c);
    width = static_cast<double>(c);
  }
  return total + (width + 1) * static_cast<double>(spec.num_classes);
}

std::string describe_model_spec(const ModelSpec& spec) {
  std::ostringstream out;
  out << to_string(spec.kind) << ' ';
  if (spec.kind == ModelKind::kTorchScript) {
    out << "module, inputs";
    for (int64_t d : spec.input_shape) out << ' ' << d;
    out << ", " << spec.num_classes << " classes";
  } else if (spec.kind == ModelKind::kMlp) {
    const int64_t inputs = std::accumulate(spec.input_shape.begin(), spec.input_shape.end(),
                                           int64_t{1}, std::multiplies<>());
    out << inputs;
    for (int64_t h : spec.hidden) out << '-' << h;
    out << '-' << spec.num_classes << ' ' << to_string(spec.activation);
    if (spec.dropout > 0) out << " dropout " << spec.dropout;
  } else {
    out << "channels ";
    for (size_t i = 0; i < spec.channels.size(); ++i) out << (i ? "-" : "") << spec.channels[i];
    out << " x" << spec.blocks_per_stage << " blocks, " << spec.num_classes << " classes";
  }
  return out.str();
}

std::string model_spec_to_json(const ModelSpec& spec) {
  nlohmann::json j;
  j["kind"] = to_string(spec.kind);
  j["input_shape"] = spec.input_shape;
  j["num_classes"] = spec.num_classes;
  j["hidden"] = spec.hidden;
  j["activation"] = to_string(spec.activation);
  j["dropout"] = spec.dropout;
  j["channels"] = spec.channels;
  j["blocks_per_stage"] = spec.blocks_per_stage;
  return j.dump();
}

ModelSpec model_spec_from_json(const std::string& json_text, const std::string& source) {
  try {
    const nlohmann::json j = nlohmann::json::parse(json_text);
    ModelSpec spec;
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "mlp") spec.kind = ModelKind::kMlp;
    else if (kind == "resnet") spec.kind = ModelKind::kResNet;
    else if (kind == "mobilenet") spec.kind = ModelKind::kMobileNet;
    else DISTILL_FAIL(source, ": unknown model kind '", kind, "'");
    const std::string activation = j.at("activation").get<std::string>();
    if (activation == "relu") spec.activation = Activation::kRelu;
    else if (activation == "gelu") spec.activation = Activation::kGelu;
    else if (activation == "tanh") spec.activation = Activation::kTanh;
    else DISTILL_FAIL(source, ": unknown activation '", activation, "'");
    spec.input_shape = j.at("input_shape").get<std::vector<int64_t>>();
    spec.num_classes = j.at("num_classes").get<int64_t>();
    spec.hidden = j.at("hidden").get<std::vector<int64_t>>();
    spec.dropout = j.at("dropout").get<double>();
    spec.channels = j.at("channels").get<std::vector<int64_t>>();
    spec.blocks_per_stage = j.at("blocks_per_stage").get<int64_t>();
    validate_model_spec(spec, source);
    return spec;
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL(source, ": malformed model description: ", e.what());
  }
}

}  // namespace distill::models
