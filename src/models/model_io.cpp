// Model files as libtorch archives with a versioned metadata header.
#include "distill/models/model_io.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <nlohmann/json.hpp>
#include <cmath>
#include <sstream>

#include "distill/core/error.h"
#include "distill/core/torch_archive.h"
#include "distill/models/module_state.h"

namespace distill::models {
namespace {

constexpr const char* kFormatKey = "distill_format";
constexpr const char* kVersionKey = "distill_version";
constexpr const char* kSpecKey = "distill_spec";
constexpr const char* kMetaKey = "distill_meta";
constexpr const char* kFormatName = "distill-model";

std::string metadata_json(const SavedModel& saved) {
  nlohmann::json meta;
  meta["role"] = saved.role;
  meta["normalization"] = {{"mean", saved.normalization.mean},
                           {"stddev", saved.normalization.stddev}};
  return meta.dump();
}

std::string read_string(torch::serialize::InputArchive& archive, const char* key,
                        const std::string& source) {
  c10::IValue value;
  DISTILL_CHECK(archive.try_read(key, value) && value.isString(), "'", source,
                "' is not a distill model file: entry '", key, "' is missing");
  return value.toStringRef();
}

torch::serialize::OutputArchive model_archive(const SavedModel& saved) {
  DISTILL_CHECK(saved.model != nullptr, "cannot save an empty model");
  torch::serialize::OutputArchive archive;
  archive.write(kFormatKey, c10::IValue(std::string(kFormatName)));
  archive.write(kVersionKey, c10::IValue(kModelFileVersion));
  archive.write(kSpecKey, c10::IValue(model_spec_to_json(saved.model->spec())));
  archive.write(kMetaKey, c10::IValue(metadata_json(saved)));
  torch::serialize::OutputArchive weights;
  saved.model->save(weights);
  archive.write("model", weights);
  return archive;
}

}  // namespace

std::string serialize_model(const SavedModel& saved) {
  torch::serialize::OutputArchive archive = model_archive(saved);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void save_model(const std::filesystem::path& path, const SavedModel& saved) {
  torch::serialize::OutputArchive archive = model_archive(saved);
  write_archive_file(path, archive);
}

bool is_distill_model_file(const std::filesystem::path& path) {
  torch::serialize::InputArchive archive = read_archive_file(path, "model file");
  c10::IValue format;
  return archive.try_read(kFormatKey, format) && format.isString() &&
         format.toStringRef() == kFormatName;
}

SavedModel load_model(const std::filesystem::path& path) {
  const std::string source = path.string();
  torch::serialize::InputArchive archive = read_archive_file(path, "distill model file");
  DISTILL_CHECK(read_string(archive, kFormatKey, source) == kFormatName, "'", source,
                "' is not a distill model file");
  c10::IValue version;
  DISTILL_CHECK(archive.try_read(kVersionKey, version) && version.isInt(), "'", source,
                "' has no format version");
  DISTILL_CHECK(version.toInt() == kModelFileVersion, "'", source, "' uses model file version ",
                version.toInt(), " but this distill reads version ", kModelFileVersion);

  const ModelSpec spec = model_spec_from_json(read_string(archive, kSpecKey, source), source);
  const double file_bytes = static_cast<double>(std::filesystem::file_size(path));
  DISTILL_CHECK(file_bytes >= 4 * minimum_parameter_count(spec), "'", source, "' declares ",
                describe_model_spec(spec), ", which needs at least ",
                4 * minimum_parameter_count(spec), " bytes of weights, but the file holds ",
                file_bytes, " bytes (truncated?)");
  SavedModel saved;
  saved.model = build_classifier(spec);
  try {
    const nlohmann::json meta = nlohmann::json::parse(read_string(archive, kMetaKey, source));
    saved.role = meta.at("role").get<std::string>();
    saved.normalization.mean = meta.at("normalization").at("mean").get<std::vector<float>>();
    saved.normalization.stddev = meta.at("normalization").at("stddev").get<std::vector<float>>();
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL("'", source, "': malformed metadata: ", e.what());
  }
  DISTILL_CHECK(saved.normalization.mean.size() == saved.normalization.stddev.size(), "'", source,
                "': normalisation has ", saved.normalization.mean.size(), " means but ",
                saved.normalization.stddev.size(), " deviations");

  const size_t features = static_cast<size_t>(saved.model->spec().input_shape.at(0));
  const data::Normalization& norm = saved.normalization;
  DISTILL_CHECK(norm.mean.empty() || norm.mean.size() == features, "'", source,
                "': normalisation has ", norm.mean.size(),
                " entries; expected none or one per input feature/channel (", features, ")");
  for (size_t i = 0; i < norm.mean.size(); ++i)
    DISTILL_CHECK(std::isfinite(norm.mean[i]) && std::isfinite(norm.stddev[i]) &&
                      norm.stddev[i] > 0,
                  "'", source, "': normalisation entry ", i, " has mean ", norm.mean[i],
                  " and deviation ", norm.stddev[i], "; expected finite values, deviation > 0");

  torch::serialize::InputArchive weights;
  DISTILL_CHECK(archive.try_read("model", weights), "'", source, "' holds no weights");
  load_module_checked(*saved.model, weights,
                      source + " (" + describe_model_spec(saved.model->spec()) + ")");
  return saved;
}

}  // namespace distill::models
