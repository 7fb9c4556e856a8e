// Image datasets stored as IDX pairs (images + labels), Fashion-MNIST among them.
#pragma once

#include <filesystem>

#include "distill/data/dataset.h"

namespace distill::data {

/// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Loads an (images, labels) IDX pair: images (N, H, W) become features (N, 1, H, W) scaled to
/// [0, 1]. Checks that the counts match and that every label is below `num_classes`.
Dataset load_idx_dataset(const std::filesystem::path& images_path,
                         const std::filesystem::path& labels_path, int64_t num_classes);

/// The Fashion-MNIST training or test split from `dir` (train-*-idx?-ubyte.gz / t10k-*).
Dataset load_fashion_mnist(const std::filesystem::path& dir, bool train);

/// The ten Fashion-MNIST class names, in label order.
const std::vector<std::string>& fashion_mnist_class_names();

}  // namespace distill::data
