// Classifies Fashion-MNIST images with an int8 model from `distill quantize` (or `distill run`),
// linking only the runtime: no libtorch, no Python. Build target: int8_classify.
//
//   int8_classify MODEL.int8 IMAGES.idx[.gz] [LABELS.idx[.gz]]
//
// Prints the first predictions, the accuracy when labels are given, and the throughput.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <vector>

#include "distill/core/error.h"
#include "distill/data/idx_reader.h"
#include "distill/runtime.h"

namespace {

const char* const kFashionClasses[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

int run(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s MODEL.int8 IMAGES.idx[.gz] [LABELS.idx[.gz]]\n", argv[0]);
    return 2;
  }
  distill::runtime::Int8Classifier classifier(distill::runtime::load_int8_model(argv[1]));
  const auto& model = classifier.model();
  const distill::data::IdxArray images = distill::data::read_idx_file(argv[2]);
  const int64_t count = images.dims[0];
  DISTILL_CHECK(images.element_count() / count == model.input_features(), "'", argv[2],
                "' holds images of ", images.element_count() / count, " pixels; the model takes ",
                model.input_features());

  // 8-bit pixels are the model's quantized inputs when it was calibrated on pixel / 255.
  std::vector<float> logits(static_cast<size_t>(count * model.num_classes));
  const auto start = std::chrono::steady_clock::now();
  if (classifier.takes_pixel_bytes()) {
    classifier.logits_from_quantized(images.data.data(), count, logits.data());
  } else {
    std::vector<float> features(images.data.begin(), images.data.end());
    for (float& v : features) v /= 255.0f;
    classifier.logits(features.data(), count, logits.data());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<int64_t> predicted(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const float* row = logits.data() + i * model.num_classes;
    predicted[i] = std::max_element(row, row + model.num_classes) - row;
  }
  for (int64_t i = 0; i < std::min<int64_t>(count, 5); ++i) {
    const int64_t c = predicted[i];
    std::printf("image %lld: class %lld (%s)\n", static_cast<long long>(i),
                static_cast<long long>(c), c < 10 ? kFashionClasses[c] : "?");
  }
  if (argc == 4) {
    const distill::data::IdxArray labels = distill::data::read_idx_file(argv[3]);
    DISTILL_CHECK(labels.dims[0] == count, "'", argv[3], "' holds ", labels.dims[0],
                  " labels for ", count, " images");
    int64_t correct = 0;
    for (int64_t i = 0; i < count; ++i) correct += predicted[i] == labels.data[i];
    std::printf("accuracy: %.4f on %lld images\n", static_cast<double>(correct) / count,
                static_cast<long long>(count));
  }
  std::printf("%lld images in %.2f ms (%.0f images/s, %s inputs, %s)\n",
              static_cast<long long>(count), seconds * 1e3, count / seconds,
              classifier.takes_pixel_bytes() ? "uint8 pixel" : "float",
              model.description.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const distill::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
