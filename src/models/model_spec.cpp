// Validation, description and JSON round trip of ModelSpec.
#include "distill/models/model_spec.h"

#include <nlohmann/json.hpp>

#include <numeric>
#include <sstream>

#include "distill/core/error.h"

namespace distill::models {

const char* to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::kMlp: return "mlp";
    case ModelKind::kResNet: return "resnet";
    case ModelKind::kMobileNet: return "mobilenet";
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

void validate_model_spec(const ModelSpec& spec, const std::string& where) {
  DISTILL_CHECK(spec.num_classes >= 2, where, ": num_classes must be >= 2, got ", spec.num_classes);
  DISTILL_CHECK(spec.input_shape.size() == 1 || spec.input_shape.size() == 3, where,
                ": input_shape must be [F] or [C, H, W], got ", spec.input_shape.size(),
                " dimensions");
  for (size_t i = 0; i < spec.input_shape.size(); ++i)
    DISTILL_CHECK(spec.input_shape[i] > 0, where, ".input_shape[", i, "] = ", spec.input_shape[i],
                  ": expected > 0");
  if (spec.kind == ModelKind::kMlp) {
    for (size_t i = 0; i < spec.hidden.size(); ++i)
      DISTILL_CHECK(spec.hidden[i] > 0, where, ".hidden[", i, "] = ", spec.hidden[i],
                    ": expected a layer width > 0");
    DISTILL_CHECK(spec.dropout >= 0.0 && spec.dropout < 1.0, where, ".dropout = ", spec.dropout,
                  ": expected a value in [0, 1)");
    return;
  }
  DISTILL_CHECK_HINT(spec.input_shape.size() == 3, "use an mlp for tabular data", where, ": a ",
                     to_string(spec.kind), " needs image inputs [C, H, W], got ",
                     spec.input_shape.size(), "-dimensional samples");
  DISTILL_CHECK(!spec.channels.empty(), where, ".channels: expected at least one stage");
  for (size_t i = 0; i < spec.channels.size(); ++i)
    DISTILL_CHECK(spec.channels[i] > 0, where, ".channels[", i, "] = ", spec.channels[i],
                  ": expected > 0");
  DISTILL_CHECK(spec.blocks_per_stage >= 1, where, ".blocks_per_stage = ", spec.blocks_per_stage,
                ": expected >= 1");
  const int64_t downsampling = int64_t{1} << (spec.channels.size() - 1);
  DISTILL_CHECK(spec.input_shape[1] >= downsampling && spec.input_shape[2] >= downsampling, where,
                ": ", spec.channels.size(), " stages halve ", spec.input_shape[1], "x",
                spec.input_shape[2], " images ", spec.channels.size() - 1,
                " times; use fewer stages");
}

std::string describe_model_spec(const ModelSpec& spec) {
  std::ostringstream out;
  out << to_string(spec.kind) << ' ';
  if (spec.kind == ModelKind::kMlp) {
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
