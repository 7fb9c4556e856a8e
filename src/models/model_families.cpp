// The registry of model families. Adding a family: write its file (a Classifier and a function
// returning its ModelFamily), declare that function below and add it to the list.
#include "distill/models/model_family.h"

#include "distill/core/error.h"

namespace distill::models {

// Each defined in the family's own file.
ModelFamily mlp_family();                // mlp.cpp
ModelFamily resnet_family();             // staged_cnn.cpp
ModelFamily mobilenet_family();          // staged_cnn.cpp
ModelFamily torchscript_family();        // torchscript_classifier.cpp
ModelFamily transformer_family();        // text_transformer.cpp
ModelFamily bag_of_embeddings_family();  // bag_of_embeddings.cpp
ModelFamily text_cnn_family();           // text_cnn.cpp
ModelFamily bilstm_family();             // bilstm.cpp

const std::vector<ModelFamily>& model_families() {
  static const std::vector<ModelFamily> families = {
      mlp_family(),         resnet_family(),      mobilenet_family(),
      torchscript_family(), transformer_family(), bag_of_embeddings_family(),
      text_cnn_family(),    bilstm_family(),
  };
  return families;
}

std::string model_family_names(bool buildable_only) {
  std::string names;
  for (const ModelFamily& family : model_families())
    if (!buildable_only || family.build != nullptr)
      names += (names.empty() ? "" : ", ") + std::string(family.kind.name());
  return names;
}

std::string model_family_names(ModelInput input) {
  std::string names;
  for (const ModelFamily& family : model_families())
    if (family.build != nullptr && family.input == input)
      names += (names.empty() ? "" : ", ") + std::string(family.kind.name());
  return names;
}

const ModelFamily& find_model_family(const std::string& name, const std::string& where) {
  for (const ModelFamily& family : model_families())
    if (name == family.kind.name()) return family;
  DISTILL_FAIL_HINT("choose one of: " + model_family_names(true), where, ": unknown model type '",
                    name, "'");
}

const ModelFamily& model_family(ModelKind kind) { return find_model_family(kind.name(), "model"); }

const char* to_string(ModelInput input) {
  switch (input) {
    case ModelInput::kImages: return "images [C, H, W]";
    case ModelInput::kFeatures: return "float features";
    case ModelInput::kTokens: return "token ids [L]";
    case ModelInput::kAny: return "any input";
  }
  return "unknown";
}

}  // namespace distill::models
