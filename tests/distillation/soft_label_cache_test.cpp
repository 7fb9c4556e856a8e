// The soft-label cache: same logits as the live teacher (to float16 precision), a key that
// follows the teacher and the data, reuse across runs, and clear errors for stale files.
#include "distill/distillation/soft_label_cache.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/models/predict.h"
#include "tensor_assertions.h"
#include "test_support.h"

namespace distill::distillation {
namespace {

using testing::TempDir;

models::ClassifierPtr make_teacher(uint64_t seed) {
  models::ModelSpec spec;
  spec.input_shape = {12};
  spec.num_classes = 5;
  spec.hidden = {32};
  return models::build_classifier(spec, seed);
}

data::Dataset make_data(int64_t n) {
  data::Dataset d;
  d.features = at::randn({n, 12}) * 3;
  d.labels = at::randint(0, 5, {n}, at::kLong);
  d.num_classes = 5;
  return d;
}

TEST(SoftLabelCache, CachedLogitsEqualTheLiveTeachersToHalfPrecision) {
  auto teacher = make_teacher(1);
  const data::Dataset d = make_data(300);
  const SoftLabelCache cache = SoftLabelCache::compute(*teacher, d, 64);
  EXPECT_EQ(cache.logits().scalar_type(), at::kHalf);
  CachedTeacher cached(cache);
  LiveTeacher live(teacher);
  const at::Tensor order = at::randperm(300, at::kLong);
  const data::Batch batch = data::gather_batch(d, order, 1, 50);
  const at::Tensor expected = live.logits(batch);
  // float16 has an 11-bit significand: relative error <= 2^-11.
  EXPECT_TENSOR_CLOSE(cached.logits(batch), expected, 1e-3, 1.0 / 2048);
  EXPECT_EQ(cached.num_classes(), 5);
}

TEST(SoftLabelCache, KeyFollowsTheTeacherWeightsAndTheData) {
  auto teacher = make_teacher(1);
  const data::Dataset d = make_data(50);
  const std::string key = soft_label_key(*teacher, d);
  EXPECT_EQ(key, soft_label_key(*make_teacher(1), d));
  EXPECT_NE(key, soft_label_key(*make_teacher(2), d));
  data::Dataset changed = d;
  changed.features = d.features.clone();
  changed.features[7][3] += 1e-3;
  EXPECT_NE(key, soft_label_key(*teacher, changed));
  {
    torch::NoGradGuard no_grad;
    teacher->parameters()[0][0][0] += 1e-4;
  }
  EXPECT_NE(key, soft_label_key(*teacher, d));
}

TEST(SoftLabelCache, IsWrittenOnceAndReusedAfterwards) {
  TempDir dir;
  auto teacher = make_teacher(1);
  const data::Dataset d = make_data(100);
  bool reused = true;
  const SoftLabelCache first = SoftLabelCache::load_or_compute(dir.path(), *teacher, d, 32, &reused);
  EXPECT_FALSE(reused);
  const SoftLabelCache second = SoftLabelCache::load_or_compute(dir.path(), *teacher, d, 32, &reused);
  EXPECT_TRUE(reused);
  EXPECT_TRUE(second.logits().equal(first.logits()));
  // Another teacher gets its own file.
  SoftLabelCache::load_or_compute(dir.path(), *make_teacher(9), d, 32, &reused);
  EXPECT_FALSE(reused);
}

TEST(SoftLabelCache, StaleOrDamagedFilesGiveClearErrors) {
  TempDir dir;
  auto teacher = make_teacher(1);
  const data::Dataset d = make_data(20);
  const SoftLabelCache cache = SoftLabelCache::compute(*teacher, d, 8);
  cache.save(dir / "c.pt");
  EXPECT_TRUE(SoftLabelCache::load(dir / "c.pt", cache.key()).logits().equal(cache.logits()));
  try {
    SoftLabelCache::load(dir / "c.pt", "0000000000000000");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "soft-label cache '" + (dir / "c.pt").string() +
                                         "' was computed for another teacher or data");
  }
  const std::string bytes = read_file_bytes(dir / "c.pt");
  write_file_atomically(dir / "cut.pt", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(SoftLabelCache::load(dir / "cut.pt", cache.key()), Error);
}

}  // namespace
}  // namespace distill::distillation
