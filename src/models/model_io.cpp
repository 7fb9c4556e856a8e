// Model files as libtorch archives with a versioned metadata header.
#include "distill/models/model_io.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "distill/core/error.h"
#include "distill/core/torch_archive.h"

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

  SavedModel saved;
  saved.model = build_classifier(model_spec_from_json(read_string(archive, kSpecKey, source), source));
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

  torch::serialize::InputArchive weights;
  DISTILL_CHECK(archive.try_read("model", weights), "'", source, "' holds no weights");
  try {
    saved.model->load(weights);
  } catch (const c10::Error& e) {
    DISTILL_FAIL("'", source, "': its weights do not match its architecture (",
                 describe_model_spec(saved.model->spec()), "): ", e.what_without_backtrace());
  }
  return saved;
}

}  // namespace distill::models
