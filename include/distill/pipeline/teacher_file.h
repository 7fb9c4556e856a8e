// A teacher given as a file — a distill model file, or a TorchScript module saved from
// PyTorch — loaded together with the data prepared the way it expects its inputs.
#pragma once

#include <string>

#include "distill/data/data_source.h"
#include "distill/models/model_io.h"

namespace distill::pipeline {

struct TeacherWithData {
  models::SavedModel teacher;
  data::PreparedData data;
};

/// A distill model file brings its input normalisation, applied to the data; a TorchScript
/// module gets the data unnormalised (images as pixel / 255), in the data's sample shape or
/// flattened. Checks that the teacher fits the data (classes, input shape); errors name
/// `where` (e.g. "teacher.load 'teacher.pt'").
TeacherWithData load_teacher_with_data(const std::string& path, const data::DataOptions& options,
                                       uint64_t seed, const std::string& where);

/// A further teacher for multi-teacher distillation, for data already prepared. One trained on
/// differently normalised inputs is wrapped to renormalise them (RenormalizedClassifier).
models::ClassifierPtr load_extra_teacher(const std::string& path, const data::PreparedData& data,
                                         const std::string& where);

}  // namespace distill::pipeline
