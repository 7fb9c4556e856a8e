// Model files: round trip, and clear errors for damaged or foreign files.
#include "distill/models/model_io.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "test_support.h"

namespace distill::models {
namespace {

using testing::TempDir;

SavedModel sample_model() {
  ModelSpec spec;
  spec.kind = ModelKind::kMobileNet;
  spec.input_shape = {1, 12, 12};
  spec.num_classes = 4;
  spec.channels = {4, 8};
  SavedModel saved{build_classifier(spec, 1), {{0.25f}, {0.5f}}, "student-distilled"};
  // Give batch norm non-trivial running statistics so buffers are part of the round trip.
  saved.model->train();
  saved.model->forward(at::randn({16, 1, 12, 12}) * 3 + 1);
  saved.model->eval();
  return saved;
}

TEST(ModelIo, RoundTripRestoresArchitectureWeightsAndMetadata) {
  TempDir dir;
  const SavedModel saved = sample_model();
  save_model(dir / "m.pt", saved);
  const SavedModel loaded = load_model(dir / "m.pt");
  EXPECT_EQ(loaded.role, "student-distilled");
  EXPECT_EQ(loaded.normalization.mean, std::vector<float>{0.25f});
  EXPECT_EQ(loaded.normalization.stddev, std::vector<float>{0.5f});
  EXPECT_EQ(model_spec_to_json(loaded.model->spec()), model_spec_to_json(saved.model->spec()));
  loaded.model->eval();
  const at::Tensor x = at::randn({3, 1, 12, 12});
  EXPECT_TRUE(loaded.model->forward(x).equal(saved.model->forward(x)));
}

TEST(ModelIo, TruncatedFileGivesAClearError) {
  TempDir dir;
  const std::string bytes = serialize_model(sample_model());
  for (size_t cut : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    write_file_atomically(dir / "cut.pt", bytes.substr(0, cut));
    try {
      load_model(dir / "cut.pt");
      ADD_FAILURE() << "expected an error for " << cut << " bytes";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find((dir / "cut.pt").string()), std::string::npos) << e.what();
    }
  }
}

TEST(ModelIo, ForeignFileIsRejected) {
  TempDir dir;
  write_file_atomically(dir / "notes.txt", "hello, not a model");
  EXPECT_THROW(load_model(dir / "notes.txt"), Error);
  EXPECT_THROW(load_model(dir / "missing.pt"), Error);
}

}  // namespace
}  // namespace distill::models
