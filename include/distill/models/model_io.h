// Model files: weights plus everything needed to use them (architecture, input normalisation).
#pragma once

#include <filesystem>
#include <string>

#include "distill/data/dataset.h"
#include "distill/models/classifier.h"

namespace distill::models {

/// A model as stored on disk.
struct SavedModel {
  ClassifierPtr model;
  data::Normalization normalization;  // applied to raw inputs before the model
  std::string role;                   // "teacher", "student-baseline", "student-distilled", ...
  /// Text models: the serialized SentencePiece model that makes their token ids (empty for
  /// image and tabular models).
  std::string tokenizer_model;
};

/// Current version of the model file format; loading rejects other versions with a clear error.
inline constexpr int64_t kModelFileVersion = 1;

/// Serialises a model file to bytes / writes it atomically.
std::string serialize_model(const SavedModel& saved);
void save_model(const std::filesystem::path& path, const SavedModel& saved);

/// Whether `path` is a libtorch archive carrying distill's model format key (false for other
/// archives, such as TorchScript modules saved from PyTorch). Throws for unreadable files.
bool is_distill_model_file(const std::filesystem::path& path);

/// Reads a model file written by save_model; rebuilds the architecture from the stored spec.
/// Throws distill::Error naming the file for a missing, truncated or foreign file.
SavedModel load_model(const std::filesystem::path& path);

}  // namespace distill::models
