// Validation, description and JSON round trip of ModelSpec; the family-specific parts come from
// the registry (model_family.h).
#include "distill/models/model_spec.h"

#include <nlohmann/json.hpp>

#include <sstream>

#include "distill/core/error.h"
#include "distill/models/model_family.h"

namespace distill::models {

bool is_cnn(ModelKind kind) { return model_family(kind).input == ModelInput::kImages; }

bool takes_token_ids(ModelKind kind) { return model_family(kind).input == ModelInput::kTokens; }

const char* to_string(Activation activation) {
  switch (activation) {
    case Activation::kRelu: return "relu";
    case Activation::kGelu: return "gelu";
    case Activation::kTanh: return "tanh";
  }
  return "unknown";
}

const char* to_string(Pooling pooling) { return pooling == Pooling::kCls ? "cls" : "mean"; }

namespace {

void check_dimension(int64_t value, const std::string& where, const std::string& field) {
  DISTILL_CHECK(value > 0, where, field, " = ", value, ": expected > 0");
  DISTILL_CHECK(value <= kMaxModelDimension, where, field, " = ", value,
                ": expected at most ", kMaxModelDimension);
}

void check_input_shape(const ModelSpec& spec, const ModelFamily& family, const std::string& where) {
  const size_t rank = spec.input_shape.size();
  switch (family.input) {
    case ModelInput::kImages:
      DISTILL_CHECK_HINT(rank == 3, "use an mlp for tabular data", where, ": a ",
                         to_string(spec.kind), " needs image inputs [C, H, W], got ", rank,
                         "-dimensional samples");
      break;
    case ModelInput::kTokens:
      DISTILL_CHECK_HINT(rank == 1, "text models read token ids (data.source: text)", where, ": a ",
                         to_string(spec.kind), " reads token ids [L], got ", rank,
                         "-dimensional samples");
      check_dimension(spec.vocab_size, where, ".vocab_size");
      break;
    case ModelInput::kFeatures:
    case ModelInput::kAny:
      DISTILL_CHECK(rank == 1 || rank == 3, where, ": input_shape must be [F] or [C, H, W], got ",
                    rank, " dimensions");
      break;
  }
}

}  // namespace

void validate_model_spec(const ModelSpec& spec, const std::string& where) {
  const ModelFamily& family = find_model_family(spec.kind.name(), where + ".type");
  DISTILL_CHECK(spec.num_classes >= 2, where, ": num_classes must be >= 2, got ", spec.num_classes);
  check_dimension(spec.num_classes, where, ".num_classes");
  for (size_t i = 0; i < spec.input_shape.size(); ++i)
    check_dimension(spec.input_shape[i], where, ".input_shape[" + std::to_string(i) + "]");
  check_input_shape(spec, family, where);
  DISTILL_CHECK(spec.dropout >= 0.0 && spec.dropout < 1.0, where, ".dropout = ", spec.dropout,
                ": expected a value in [0, 1)");
  if (family.validate != nullptr) family.validate(spec, where);
  if (family.parameter_bound == nullptr) return;
  const double parameters = family.parameter_bound(spec);
  DISTILL_CHECK_HINT(parameters <= kMaxModelParameters, "use fewer or narrower layers", where,
                     ": ", describe_model_spec(spec), " has about ", parameters,
                     " parameters, more than the ", kMaxModelParameters, " distill accepts");
}

double minimum_parameter_count(const ModelSpec& spec) {
  const ModelFamily& family = model_family(spec.kind);
  return family.minimum_parameters != nullptr ? family.minimum_parameters(spec) : 0.0;
}

std::string describe_model_spec(const ModelSpec& spec) {
  const ModelFamily& family = model_family(spec.kind);
  return std::string(to_string(spec.kind)) + ' ' + family.describe(spec);
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
  j["vocab_size"] = spec.vocab_size;
  j["embedding_dim"] = spec.embedding_dim;
  j["layers"] = spec.layers;
  j["heads"] = spec.heads;
  j["feed_forward"] = spec.feed_forward;
  j["pooling"] = to_string(spec.pooling);
  j["bigram_buckets"] = spec.bigram_buckets;
  j["kernel_widths"] = spec.kernel_widths;
  j["filters"] = spec.filters;
  return j.dump();
}

ModelSpec model_spec_from_json(const std::string& json_text, const std::string& source) {
  try {
    const nlohmann::json j = nlohmann::json::parse(json_text);
    ModelSpec spec;
    spec.kind = find_model_family(j.at("kind").get<std::string>(), source).kind;
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
    // Text fields came with format additions; files from before them hold image or tabular models.
    spec.vocab_size = j.value("vocab_size", spec.vocab_size);
    spec.embedding_dim = j.value("embedding_dim", spec.embedding_dim);
    spec.layers = j.value("layers", spec.layers);
    spec.heads = j.value("heads", spec.heads);
    spec.feed_forward = j.value("feed_forward", spec.feed_forward);
    const std::string pooling = j.value("pooling", std::string("cls"));
    if (pooling == "cls") spec.pooling = Pooling::kCls;
    else if (pooling == "mean") spec.pooling = Pooling::kMean;
    else DISTILL_FAIL(source, ": unknown pooling '", pooling, "'");
    spec.bigram_buckets = j.value("bigram_buckets", spec.bigram_buckets);
    spec.kernel_widths = j.value("kernel_widths", spec.kernel_widths);
    spec.filters = j.value("filters", spec.filters);
    validate_model_spec(spec, source);
    return spec;
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL(source, ": malformed model description: ", e.what());
  }
}

}  // namespace distill::models
