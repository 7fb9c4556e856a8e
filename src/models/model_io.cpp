// Model files as tensor files (core/tensor_file.h) with a versioned metadata header.
#include "distill/models/model_io.h"

#include <nlohmann/json.hpp>
#include <cmath>
#include <fstream>
#include <sstream>

#include "distill/core/error.h"
#include "distill/core/atomic_file.h"
#include "distill/core/tensor_file.h"
#include "distill/models/module_state.h"

namespace distill::models {
namespace {

constexpr const char* kFileKind = "distill-model";

}  // namespace

std::string serialize_model(const SavedModel& saved) {
  DISTILL_CHECK(saved.model != nullptr, "cannot save an empty model");
  nlohmann::json meta;
  meta["version"] = kModelFileVersion;
  meta["spec"] = nlohmann::json::parse(model_spec_to_json(saved.model->spec()));
  meta["role"] = saved.role;
  meta["normalization"] = {{"mean", saved.normalization.mean},
                           {"stddev", saved.normalization.stddev}};
  TensorFile file;
  file.kind = kFileKind;
  file.meta_json = meta.dump();
  file.tensors = named_module_state(*saved.model, "model.");
  return encode_tensor_file(file);
}

void save_model(const std::filesystem::path& path, const SavedModel& saved) {
  write_file_atomically(path, serialize_model(saved));
}

bool is_distill_model_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  DISTILL_CHECK(in.good(), "cannot open '", path.string(), "': no such file or not readable");
  std::string magic(8, '\0');
  in.read(magic.data(), static_cast<std::streamsize>(magic.size()));
  magic.resize(static_cast<size_t>(in.gcount()));
  return looks_like_tensor_file(magic);
}

SavedModel load_model(const std::filesystem::path& path) {
  const std::string source = path.string();
  const TensorFile file = read_tensor_file(path, kFileKind);
  SavedModel saved;
  ModelSpec spec;
  try {
    const nlohmann::json meta = nlohmann::json::parse(file.meta_json);
    const int64_t version = meta.at("version").get<int64_t>();
    DISTILL_CHECK(version == kModelFileVersion, "'", source, "' uses model file version ", version,
                  " but this distill reads version ", kModelFileVersion);
    spec = model_spec_from_json(meta.at("spec").dump(), source);
    saved.role = meta.at("role").get<std::string>();
    saved.normalization.mean = meta.at("normalization").at("mean").get<std::vector<float>>();
    saved.normalization.stddev = meta.at("normalization").at("stddev").get<std::vector<float>>();
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL("'", source, "': malformed metadata: ", e.what());
  }
  const data::Normalization& norm = saved.normalization;
  DISTILL_CHECK(norm.mean.size() == norm.stddev.size(), "'", source, "': normalisation has ",
                norm.mean.size(), " means but ", norm.stddev.size(), " deviations");
  const size_t features = static_cast<size_t>(spec.input_shape.at(0));
  DISTILL_CHECK(norm.mean.empty() || norm.mean.size() == features, "'", source,
                "': normalisation has ", norm.mean.size(),
                " entries; expected none or one per input feature/channel (", features, ")");
  for (size_t i = 0; i < norm.mean.size(); ++i)
    DISTILL_CHECK(std::isfinite(norm.mean[i]) && std::isfinite(norm.stddev[i]) &&
                      norm.stddev[i] > 0,
                  "'", source, "': normalisation entry ", i, " has mean ", norm.mean[i],
                  " and deviation ", norm.stddev[i], "; expected finite values, deviation > 0");

  // The file must hold the weights it declares before that architecture is allocated.
  int64_t stored = 0;
  for (const auto& entry : file.tensors) stored += entry.second.numel();
  DISTILL_CHECK(static_cast<double>(stored) >= minimum_parameter_count(spec), "'", source,
                "' declares ", describe_model_spec(spec), ", which needs at least ",
                minimum_parameter_count(spec), " weights, but the file holds ", stored);
  saved.model = build_classifier(spec);
  load_named_state(*saved.model, file, "model.",
                   source + " (" + describe_model_spec(spec) + ")");
  return saved;
}

}  // namespace distill::models
