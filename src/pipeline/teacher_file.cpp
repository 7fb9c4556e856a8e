// Loading a teacher file with its data.
#include "distill/pipeline/teacher_file.h"

#include "distill/core/error.h"
#include "distill/models/torchscript_classifier.h"
#include "distill/pipeline/stages.h"

namespace distill::pipeline {

TeacherWithData load_teacher_with_data(const std::string& path, const data::DataOptions& options,
                                       uint64_t seed, const std::string& where) {
  TeacherWithData loaded;
  if (models::is_distill_model_file(path)) {
    loaded.teacher = models::load_model(path);
    loaded.data = data::prepare_data(options, seed, &loaded.teacher.normalization);
  } else {
    const data::Normalization none;  // PyTorch users' modules take the raw [0, 1] features
    loaded.data = data::prepare_data(options, seed, &none);
    loaded.teacher.model = models::load_torchscript_classifier(path, loaded.data.train.sample_shape());
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
    teacher.model = models::load_torchscript_classifier(path, data.train.sample_shape());
  }
  const data::Normalization& expected = data.normalization;
  DISTILL_CHECK_HINT(teacher.normalization.mean == expected.mean &&
                         teacher.normalization.stddev == expected.stddev,
                     "train the teachers with the same data options and seed, or list the "
                     "teacher whose normalisation the students should use first",
                     where, ": this teacher normalises its inputs differently from the run's "
                     "teacher (", teacher.normalization.mean.size(), " vs ", expected.mean.size(),
                     " channel means), so it would see other inputs than it was trained on");
  check_teacher_matches_data(*teacher.model, data, where);
  return teacher.model;
}

}  // namespace distill::pipeline
