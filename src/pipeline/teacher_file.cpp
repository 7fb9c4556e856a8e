// Loading a teacher file with its data.
#include "distill/pipeline/teacher_file.h"

#include "distill/core/error.h"
#include "distill/models/renormalized_classifier.h"
#include "distill/models/torchscript_classifier.h"
#include "distill/pipeline/stages.h"

namespace distill::pipeline {

TeacherWithData load_teacher_with_data(const std::string& path, const data::DataOptions& options,
                                       uint64_t seed, const std::string& where) {
  TeacherWithData loaded;
  if (models::is_distill_model_file(path)) {
    loaded.teacher = models::load_model(path);
    loaded.data = data::prepare_data(options, seed, &loaded.teacher.normalization,
                                     loaded.teacher.tokenizer_model);
  } else {
    // A text module reads the ids of the vocabulary it was trained with: the user's, never one
    // trained here.
    DISTILL_CHECK_HINT(options.source != data::DataSourceKind::kText || !options.text.tokenizer_file.empty(),
                       "set data.text.tokenizer.file to the tokenizer the teacher was trained "
                       "with (a SentencePiece .model or a WordPiece vocab.txt)",
                       where, ": a TorchScript text teacher reads the token ids of its own "
                       "vocabulary, and data.text.tokenizer.file is not set");
    const data::Normalization none;  // PyTorch users' modules take the raw [0, 1] features
    loaded.data = data::prepare_data(options, seed, &none);
    loaded.teacher.model = models::load_torchscript_classifier(
        path, loaded.data.train.sample_shape(), loaded.data.train.vocab_size,
        loaded.data.tokenizer_model);
    loaded.teacher.role = "teacher";
  }
  check_teacher_matches_data(*loaded.teacher.model, loaded.data, where);
  return loaded;
}

models::ClassifierPtr load_extra_teacher(const std::string& path, const data::PreparedData& data,
                                         const std::string& where) {
  models::SavedModel teacher;
  if (models::is_distill_model_file(path)) {
    teacher = models::load_model(path);
  } else {
    DISTILL_CHECK_HINT(!data.train.has_token_ids() || data.tokenizer_is_users_file,
                       "set data.text.tokenizer.file to the tokenizer the teachers were trained "
                       "with (a SentencePiece .model or a WordPiece vocab.txt)",
                       where, ": a TorchScript text teacher reads the token ids of its own "
                       "vocabulary, and this run's vocabulary is not the user's file");
    teacher.model =
        models::load_torchscript_classifier(path, data.train.sample_shape(), data.train.vocab_size,
                                            data.tokenizer_model);
    teacher.tokenizer_model = data.tokenizer_model;  // the user's file, checked above
  }
  check_teacher_matches_data(*teacher.model, data, where);
  DISTILL_CHECK_HINT(teacher.tokenizer_model == data.tokenizer_model,
                     "train every teacher on the same tokenized data", where, " '", path,
                     "' tokenizes text with another vocabulary than this run's data");
  // A teacher trained on differently normalised inputs sees them as it was trained to.
  if (teacher.normalization.mean != data.normalization.mean ||
      teacher.normalization.stddev != data.normalization.stddev)
    return std::make_shared<models::RenormalizedClassifier>(teacher.model, data.normalization,
                                                            teacher.normalization);
  return teacher.model;
}

}  // namespace distill::pipeline
