// The small model and dataset the torch-side fuzz targets load files for, shared with the seed
// corpus generator so its files are valid for the targets (same architecture, same cache key).
#pragma once

#include <ATen/ATen.h>

#include "distill/data/dataset.h"
#include "distill/models/classifier.h"
#include "distill/models/model_spec.h"

namespace distill::fuzz {

inline models::ModelSpec fixture_model_spec() {
  models::ModelSpec spec;
  spec.input_shape = {4};
  spec.hidden = {3};
  spec.num_classes = 2;
  return spec;
}

inline models::ClassifierPtr fixture_model() { return models::build_classifier(fixture_model_spec(), 0); }

inline data::Dataset fixture_dataset() {
  data::Dataset dataset;
  dataset.features = at::arange(20, at::kFloat).reshape({5, 4}).div(20);
  dataset.labels = at::tensor({0, 1, 0, 1, 1}, at::kLong);
  dataset.num_classes = 2;
  return dataset;
}

/// The fingerprint the checkpoint target expects (the corpus checkpoint carries it).
inline const char* fixture_fingerprint() { return "fuzz"; }

}  // namespace distill::fuzz
