// Dataset validation, subsetting, splitting and normalisation.
#include "distill/data/dataset.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"

namespace distill::data {

int64_t Dataset::size() const { return labels.defined() ? labels.size(0) : 0; }

std::vector<int64_t> Dataset::sample_shape() const {
  if (!features.defined()) return {};
  auto sizes = features.sizes().vec();
  sizes.erase(sizes.begin());
  return sizes;
}

Dataset Dataset::select(const at::Tensor& indices) const {
  Dataset out;
  out.features = features.index_select(0, indices).contiguous();
  out.labels = labels.index_select(0, indices).contiguous();
  out.num_classes = num_classes;
  out.class_names = class_names;
  out.vocab_size = vocab_size;
  return out;
}

Dataset Dataset::head(int64_t count) const {
  if (count <= 0 || count >= size()) return *this;
  Dataset out = *this;
  out.features = features.narrow(0, 0, count).contiguous();
  out.labels = labels.narrow(0, 0, count).contiguous();
  return out;
}

void validate_dataset(const Dataset& dataset, const std::string& name) {
  DISTILL_CHECK(dataset.features.defined() && dataset.labels.defined(), name, " is empty");
  const bool token_ids = dataset.features.scalar_type() == at::kLong;
  DISTILL_CHECK(dataset.features.scalar_type() == at::kFloat || token_ids, name,
                ": features must be float32 (images, tabular data) or int64 token ids (text), got ",
                dataset.features.scalar_type());
  DISTILL_CHECK(!token_ids || dataset.features.dim() == 2, name,
                ": token ids must be (N, L), got ", dataset.features.sizes());
  DISTILL_CHECK(token_ids == (dataset.vocab_size > 0), name, ": vocab_size = ", dataset.vocab_size,
                " with ", dataset.features.scalar_type(),
                " features: token ids need the vocabulary size, float features none");
  if (token_ids) {
    const int64_t min_id = dataset.features.min().item<int64_t>();
    const int64_t max_id = dataset.features.max().item<int64_t>();
    DISTILL_CHECK(min_id >= 0 && max_id < dataset.vocab_size, name, ": token ids must lie in [0, ",
                  dataset.vocab_size - 1, "], found ids from ", min_id, " to ", max_id);
  }
  DISTILL_CHECK(dataset.labels.scalar_type() == at::kLong, name, ": labels must be int64, got ",
                dataset.labels.scalar_type());
  DISTILL_CHECK(dataset.features.dim() == 2 || dataset.features.dim() == 4, name,
                ": features must be (N, F) or (N, C, H, W), got ", dataset.features.sizes());
  DISTILL_CHECK(dataset.labels.dim() == 1, name, ": labels must be (N), got ",
                dataset.labels.sizes());
  DISTILL_CHECK(dataset.features.size(0) == dataset.labels.size(0), name, " has ",
                dataset.features.size(0), " samples but ", dataset.labels.size(0), " labels");
  DISTILL_CHECK(dataset.size() > 0, name, " has no samples");
  DISTILL_CHECK(dataset.num_classes >= 2, name, ": num_classes must be >= 2, got ",
                dataset.num_classes);
  DISTILL_CHECK(dataset.class_names.empty() ||
                    static_cast<int64_t>(dataset.class_names.size()) == dataset.num_classes,
                name, ": ", dataset.class_names.size(), " class names for ", dataset.num_classes,
                " classes");
  const int64_t min_label = dataset.labels.min().item<int64_t>();
  const int64_t max_label = dataset.labels.max().item<int64_t>();
  DISTILL_CHECK(min_label >= 0 && max_label < dataset.num_classes, name,
                ": labels must lie in [0, ", dataset.num_classes - 1, "], found labels from ",
                min_label, " to ", max_label);
}

TrainValidationSplit split_train_validation(const Dataset& dataset, int64_t validation_size,
                                            uint64_t seed) {
  DISTILL_CHECK(validation_size >= 0 && validation_size < dataset.size(),
                "validation size must lie in [0, ", dataset.size() - 1, "] for a dataset of ",
                dataset.size(), " samples, got ", validation_size);
  if (validation_size == 0) return {dataset, Dataset{}};
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor order = at::randperm(dataset.size(), generator, at::kLong);
  const int64_t train_size = dataset.size() - validation_size;
  // Sorted indices keep each part in the original order, which helps reproducibility checks.
  const at::Tensor train_indices = std::get<0>(order.narrow(0, 0, train_size).sort());
  const at::Tensor validation_indices =
      std::get<0>(order.narrow(0, train_size, validation_size).sort());
  return {dataset.select(train_indices), dataset.select(validation_indices)};
}

Normalization Normalization::fit(const at::Tensor& features) {
  DISTILL_CHECK(features.dim() == 2 || features.dim() == 4,
                "normalisation expects (N, F) or (N, C, H, W) features, got ", features.sizes());
  const std::vector<int64_t> reduce_dims =
      features.dim() == 4 ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{0};
  const at::Tensor mean = features.mean(reduce_dims).contiguous();
  // A constant feature (std 0) is left unscaled rather than divided by zero.
  const at::Tensor stddev = features.std(reduce_dims, /*unbiased=*/false).clamp_min(1e-6).contiguous();
  Normalization norm;
  norm.mean.assign(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
  norm.stddev.assign(stddev.data_ptr<float>(), stddev.data_ptr<float>() + stddev.numel());
  return norm;
}

std::pair<at::Tensor, at::Tensor> Normalization::broadcastable(const at::Tensor& features) const {
  const int64_t channels = static_cast<int64_t>(mean.size());
  const int64_t feature_dim = features.size(1);
  DISTILL_CHECK(feature_dim == channels, "normalisation was fitted on ", channels,
                " channels/features but the input has ", feature_dim, " (shape ",
                features.sizes(), ")");
  std::vector<int64_t> shape = {1, channels};
  if (features.dim() == 4) shape = {1, channels, 1, 1};
  return {at::tensor(mean).view(shape), at::tensor(stddev).view(shape)};
}

at::Tensor Normalization::apply(const at::Tensor& features) const {
  if (empty()) return features;
  const auto [m, s] = broadcastable(features);
  return ((features - m) / s).contiguous();
}

at::Tensor Normalization::invert(const at::Tensor& normalized) const {
  if (empty()) return normalized;
  const auto [m, s] = broadcastable(normalized);
  return (normalized * s + m).contiguous();
}

}  // namespace distill::data
