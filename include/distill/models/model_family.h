// The registry of model families: what each architecture needs from its spec, how it is
// described and built. A new family is one file (its Classifier and its ModelFamily) plus one
// line in src/models/model_families.cpp; the config reader, spec validation, model files and the
// factory find it here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "distill/models/model_spec.h"

namespace distill::models {

class Classifier;

/// What a family's models read.
enum class ModelInput {
  kImages,    // (C, H, W) float
  kFeatures,  // (F) float, or any float sample (flattened)
  kTokens,    // (L) int64 token ids < vocab_size
  kAny,       // whatever the module was made for (TorchScript)
};

struct ModelFamily {
  ModelKind kind;
  ModelInput input = ModelInput::kFeatures;
  /// Family-specific checks (the shared ones — classes, input shape size — run first).
  void (*validate)(const ModelSpec& spec, const std::string& where) = nullptr;
  /// Parameter count: an upper bound with every field valid (guards the 1e9 limit), and the
  /// least a model file must store for the spec.
  double (*parameter_bound)(const ModelSpec& spec) = nullptr;
  double (*minimum_parameters)(const ModelSpec& spec) = nullptr;
  /// What follows the family name in describe_model_spec ("784-100-10 relu").
  std::string (*describe)(const ModelSpec& spec) = nullptr;
  /// Builds the network (weights from the default generator); null for families that are only
  /// loaded from files (TorchScript).
  std::shared_ptr<Classifier> (*build)(const ModelSpec& spec) = nullptr;
};

/// Every registered family, in registration order.
const std::vector<ModelFamily>& model_families();

/// The family named `name`; throws distill::Error listing the families when there is none
/// (`where` names the config key or file).
const ModelFamily& find_model_family(const std::string& name, const std::string& where);
const ModelFamily& model_family(ModelKind kind);

/// "mlp, resnet, ..." — for hints; `buildable_only` leaves out families that are only loaded.
std::string model_family_names(bool buildable_only);
/// The buildable families that read `input` ("transformer, bag_of_embeddings, ...").
std::string model_family_names(ModelInput input);

const char* to_string(ModelInput input);

}  // namespace distill::models
