// IDX image/label pairs into a validated Dataset.
#include "distill/data/idx_dataset.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"
#include "distill/data/idx_reader.h"

namespace distill::data {

Dataset load_idx_dataset(const std::filesystem::path& images_path,
                         const std::filesystem::path& labels_path, int64_t num_classes) {
  const IdxArray images = read_idx_file(images_path);
  const IdxArray labels = read_idx_file(labels_path);
  DISTILL_CHECK(images.dims.size() == 3 || images.dims.size() == 4, "IDX image file '",
                images_path.string(), "' has ", images.dims.size(),
                " dimensions, expected 3 (N, H, W) or 4 (N, C, H, W)");
  DISTILL_CHECK(labels.dims.size() == 1, "IDX label file '", labels_path.string(), "' has ",
                labels.dims.size(), " dimensions, expected 1 (N)");
  DISTILL_CHECK(images.dims[0] == labels.dims[0], "IDX files disagree: '", images_path.string(),
                "' holds ", images.dims[0], " images but '", labels_path.string(), "' holds ",
                labels.dims[0], " labels");

  std::vector<int64_t> shape = images.dims;
  if (shape.size() == 3) shape.insert(shape.begin() + 1, 1);
  Dataset dataset;
  dataset.features =
      at::from_blob(const_cast<uint8_t*>(images.data.data()), shape, at::kByte).to(at::kFloat) /
      255.0f;
  dataset.labels = at::from_blob(const_cast<uint8_t*>(labels.data.data()), {labels.dims[0]},
                                 at::kByte)
                       .to(at::kLong);
  dataset.num_classes = num_classes;
  const auto* max_label = std::max_element(labels.data.data(), labels.data.data() + labels.data.size());
  DISTILL_CHECK(*max_label < num_classes, "IDX label file '", labels_path.string(),
                "' holds label ", int{*max_label}, " but the dataset has ", num_classes,
                " classes (labels 0 to ", num_classes - 1, ")");
  validate_dataset(dataset, "'" + images_path.string() + "'");
  return dataset;
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                 "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

Dataset load_fashion_mnist(const std::filesystem::path& dir, bool train) {
  const std::string prefix = train ? "train" : "t10k";
  Dataset dataset = load_idx_dataset(dir / (prefix + "-images-idx3-ubyte.gz"),
                                     dir / (prefix + "-labels-idx1-ubyte.gz"), 10);
  dataset.class_names = fashion_mnist_class_names();
  return dataset;
}

}  // namespace distill::data
