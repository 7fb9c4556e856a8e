// Model files as tensor files (core/tensor_file.h) with a versioned metadata header.
#include "distill/models/model_io.h"

#include <nlohmann/json.hpp>
#include <ATen/ATen.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "distill/core/error.h"
#include "distill/core/atomic_file.h"
#include "distill/core/tensor_file.h"
#include "distill/models/module_state.h"

namespace distill::models {
namespace {

constexpr const char* kFileKind = "distill-model";
constexpr const char* kTokenizerTensor = "tokenizer";

/// Bytes packed eight to an int64 element (the tensor file stores float and int64 tensors).
at::Tensor pack_bytes(const std::string& bytes) {
  at::Tensor packed = at::zeros({static_cast<int64_t>((bytes.size() + 7) / 8)}, at::kLong);
  std::memcpy(packed.data_ptr<int64_t>(), bytes.data(), bytes.size());
  return packed;
}

std::string unpack_bytes(const at::Tensor& packed, size_t size, const std::string& source) {
  DISTILL_CHECK(packed.scalar_type() == at::kLong && packed.dim() == 1 &&
                    static_cast<size_t>(packed.numel()) == (size + 7) / 8,
                "'", source, "': the tokenizer tensor ", packed.sizes(), " does not hold ", size,
                " bytes");
  const at::Tensor contiguous = packed.contiguous();
  return std::string(reinterpret_cast<const char*>(contiguous.data_ptr<int64_t>()), size);
}

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
  if (!saved.tokenizer_model.empty()) {
    meta["tokenizer_bytes"] = saved.tokenizer_model.size();
    file.meta_json = meta.dump();
    file.tensors.emplace_back(kTokenizerTensor, pack_bytes(saved.tokenizer_model));
  }
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
  size_t tokenizer_bytes = 0;
  try {
    const nlohmann::json meta = nlohmann::json::parse(file.meta_json);
    const int64_t version = meta.at("version").get<int64_t>();
    DISTILL_CHECK(version == kModelFileVersion, "'", source, "' uses model file version ", version,
                  " but this distill reads version ", kModelFileVersion);
    spec = model_spec_from_json(meta.at("spec").dump(), source);
    saved.role = meta.at("role").get<std::string>();
    saved.normalization.mean = meta.at("normalization").at("mean").get<std::vector<float>>();
    saved.normalization.stddev = meta.at("normalization").at("stddev").get<std::vector<float>>();
    tokenizer_bytes = meta.value("tokenizer_bytes", size_t{0});
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

  if (tokenizer_bytes > 0)
    saved.tokenizer_model = unpack_bytes(file.get(kTokenizerTensor, source), tokenizer_bytes, source);
  DISTILL_CHECK_HINT(takes_token_ids(spec.kind) == !saved.tokenizer_model.empty(),
                     "save text models with the tokenizer of their data", "'", source, "': a ",
                     to_string(spec.kind), " model ",
                     saved.tokenizer_model.empty() ? "without" : "with", " a tokenizer");
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
