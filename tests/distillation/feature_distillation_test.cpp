// The feature distillation objective: adapters sized from the taps, the loss it adds up, the
// refusal of cached teachers, adapters that train and travel in checkpoints.
#include "distill/distillation/feature_distillation.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "distill/distillation/checkpoint.h"
#include "distill/distillation/feature_losses.h"
#include "distill/distillation/fused_sgd.h"
#include "distill/distillation/soft_label_cache.h"
#include "distill/distillation/trainer.h"
#include "distill/kernels/compute_path.h"
#include "tensor_assertions.h"
#include "test_support.h"
#include "error_assertions.h"

namespace distill::distillation {
namespace {

using ::distill::testing::thrown_error;

models::ClassifierPtr mlp_of_widths(std::vector<int64_t> hidden, uint64_t seed) {
  models::ModelSpec spec;
  spec.input_shape = {6};
  spec.hidden = std::move(hidden);
  spec.num_classes = 3;
  return models::build_classifier(spec, seed);
}

data::Dataset blobs(int64_t n) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  data::Dataset d;
  d.labels = at::randint(0, 3, {n}, generator, at::kLong);
  d.features = d.labels.to(at::kFloat).unsqueeze(1).expand({n, 6}) + at::randn({n, 6}, generator);
  d.num_classes = 3;
  return d;
}

TEST(FeatureDistillation, LossIsKdPlusWeightedTermsThroughTheAdapter) {
  kernels::ScopedComputePath reference(kernels::ComputePath::kReference);
  auto teacher = mlp_of_widths({12, 8}, 1), student = mlp_of_widths({5}, 2);
  const data::Dataset d = blobs(16);
  const std::vector<FeatureTerm> terms = {{FeatureLossKind::kHint, "hidden1", "hidden2", 0.5},
                                          {FeatureLossKind::kRkdDistance, "logits", "hidden1", 2}};
  FeatureDistillationObjective objective(std::make_shared<LiveTeacher>(teacher), {4.0, 0.3},
                                         DistillationMode::kSoft, terms, true, *student,
                                         d.features, 3);
  EXPECT_EQ(objective.name(), "kd(T=4, alpha=0.3) + hint(hidden1->hidden2, w=0.5) + "
                              "rkd_distance(logits->hidden1, w=2)");
  EXPECT_EQ(objective.student_taps(), (std::vector<std::string>{"hidden1", "logits"}));
  // One adapter, for the hint: linear 5 -> 8.
  const auto adapter_parameters = objective.trainable()->parameters();
  ASSERT_EQ(adapter_parameters.size(), 2u);
  EXPECT_EQ(adapter_parameters[0].sizes(), at::IntArrayRef({8, 5}));

  const data::Batch batch{d.features, d.labels, at::arange(16)};
  models::FeatureTaps student_taps(objective.student_taps());
  const at::Tensor logits = student->forward(d.features, student_taps);
  models::FeatureTaps teacher_taps({"hidden1", "hidden2"});
  const at::Tensor teacher_logits = teacher->forward(d.features, teacher_taps);
  const at::Tensor adapted = at::linear(student_taps.get("hidden1"), adapter_parameters[0],
                                        adapter_parameters[1]);
  const at::Tensor expected = kd_loss(logits, teacher_logits, d.labels, {4.0, 0.3}) +
                              0.5 * hint_loss(adapted, teacher_taps.get("hidden2")) +
                              2 * rkd_distance_loss(logits, teacher_taps.get("hidden1"));
  EXPECT_TENSOR_CLOSE(objective.loss(batch, logits, student_taps), expected, 1e-6, 1e-5);
}

models::ClassifierPtr transformer(int64_t width, int64_t heads, int64_t layers, uint64_t seed) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kTransformer;
  spec.input_shape = {6};
  spec.num_classes = 3;
  spec.vocab_size = 30;
  spec.embedding_dim = width;
  spec.heads = heads;
  spec.layers = layers;
  spec.feed_forward = 2 * width;
  return models::build_classifier(spec, seed);
}

// TinyBERT between Transformers of different widths, heads and depths: a layer mapping
// (student layer 1 -> teacher layer 2), hidden states through a learned projection W_h, and
// attention matrices; the loss is what the formulas give with the objective's own projection.
TEST(FeatureDistillation, TinyBertHiddenStatesThroughAProjectionAndAttentionMatrices) {
  kernels::ScopedComputePath reference(kernels::ComputePath::kReference);
  auto teacher = transformer(16, 4, 2, 1), student = transformer(8, 2, 1, 2);
  teacher->eval();
  const at::Tensor ids = at::tensor({2, 5, 9, 0, 0, 0, 2, 7, 7, 8, 29, 4}, at::kLong).view({2, 6});
  const at::Tensor labels = at::tensor({0, 2}, at::kLong);
  const std::vector<FeatureTerm> terms = {
      {FeatureLossKind::kHint, "embedding", "embedding", 1.0},
      {FeatureLossKind::kHint, "layer1", "layer2", 1.0},
      {FeatureLossKind::kAttentionMatrix, "attention1", "attention2", 3.0}};
  FeatureDistillationObjective objective(std::make_shared<LiveTeacher>(teacher), {1.0, 0.0},
                                         DistillationMode::kSoft, terms, true, *student, ids, 3);
  // Two projections 8 -> 16 (weight and bias each); none for the attention term.
  const auto projections = objective.trainable()->parameters();
  ASSERT_EQ(projections.size(), 4u);
  EXPECT_EQ(projections[2].sizes(), at::IntArrayRef({16, 8}));

  const data::Batch batch{ids, labels, at::arange(2)};
  models::FeatureTaps student_taps(objective.student_taps());
  const at::Tensor logits = student->forward(ids, student_taps);
  models::FeatureTaps teacher_taps({"embedding", "layer2", "attention2"});
  const at::Tensor teacher_logits = teacher->forward(ids, teacher_taps);
  const auto projected = [&](const char* tap, size_t k) {
    return at::linear(student_taps.get(tap), projections[2 * k], projections[2 * k + 1]);
  };
  // 2 heads against 4: the heads' mean maps.
  const at::Tensor attention = (student_taps.get("attention1").mean(1) -
                                teacher_taps.get("attention2").mean(1)).pow(2).mean();
  const at::Tensor expected =
      kd_loss(logits, teacher_logits, labels, {1.0, 0.0}) +
      (projected("embedding", 0) - teacher_taps.get("embedding")).pow(2).mean() +
      (projected("layer1", 1) - teacher_taps.get("layer2")).pow(2).mean() + 3.0 * attention;
  EXPECT_TENSOR_CLOSE(objective.loss(batch, logits, student_taps), expected, 1e-6, 1e-5);
  // A sequence tap against a vector tap is refused by name.
  const Error e = thrown_error([&] {
    FeatureDistillationObjective bad(std::make_shared<LiveTeacher>(teacher), {1.0, 0.0},
                                     DistillationMode::kSoft,
                                     {{FeatureLossKind::kHint, "layer1", "pooled", 1.0}}, true,
                                     *student, ids, 3);
  });
  EXPECT_NE(std::string(e.what()).find("must both be maps (C, H, W), both sequences (L, E) or both "
                                       "vectors (F)"),
            std::string::npos)
      << e.what();
}

TEST(FeatureDistillation, RefusesCachedTeachersUnknownTapsAndMismatchedShapes) {
  auto teacher = mlp_of_widths({12}, 1), student = mlp_of_widths({5}, 2);
  const data::Dataset d = blobs(8);
  const std::vector<FeatureTerm> hint = {{FeatureLossKind::kHint, "hidden1", "hidden1", 1}};
  auto cached = std::make_shared<CachedTeacher>(SoftLabelCache::compute(*teacher, d, 8));
  const Error e = thrown_error([&] {
    FeatureDistillationObjective(cached, {}, DistillationMode::kSoft, hint, true, *student,
                                 d.features, 0);
  });
  EXPECT_NE(e.hint().find("teacher_outputs: live"), std::string::npos);
  auto live = std::make_shared<LiveTeacher>(teacher);
  EXPECT_THROW(FeatureDistillationObjective(live, {}, DistillationMode::kSoft,
                                            {{FeatureLossKind::kHint, "hidden7", "hidden1", 1}},
                                            true, *student, d.features, 0),
               Error);
  // A vector tap cannot be hinted onto a map, nor maps of different resolutions.
  auto cnn = [](models::ModelKind kind, std::vector<int64_t> channels) {
    models::ModelSpec s;
    s.kind = kind;
    s.input_shape = {1, 8, 8};
    s.channels = std::move(channels);
    s.num_classes = 3;
    return models::build_classifier(s, 0);
  };
  auto cnn_teacher = std::make_shared<LiveTeacher>(cnn(models::ModelKind::kResNet, {8, 16}));
  auto cnn_student = cnn(models::ModelKind::kMobileNet, {4, 8});
  const at::Tensor images = at::rand({2, 1, 8, 8});
  EXPECT_THROW(FeatureDistillationObjective(cnn_teacher, {}, DistillationMode::kSoft,
                                            {{FeatureLossKind::kHint, "pooled", "stage1", 1}},
                                            true, *cnn_student, images, 0),
               Error);
  EXPECT_THROW(FeatureDistillationObjective(cnn_teacher, {}, DistillationMode::kSoft,
                                            {{FeatureLossKind::kHint, "stage1", "stage2", 1}},
                                            true, *cnn_student, images, 0),
               Error);
  // Matching maps get a 1x1 convolution from the student's 4 channels to the teacher's 8.
  FeatureDistillationObjective maps(cnn_teacher, {}, DistillationMode::kSoft,
                                    {{FeatureLossKind::kHint, "stage1", "stage1", 1}}, true,
                                    *cnn_student, images, 0);
  EXPECT_EQ(maps.trainable()->parameters()[0].sizes(), at::IntArrayRef({8, 4, 1, 1}));
}

TEST(FeatureDistillation, AdaptersTrainWithTheStudentAndTravelInCheckpoints) {
  auto teacher = mlp_of_widths({12}, 1), student = mlp_of_widths({5}, 2);
  const data::Dataset d = blobs(64);
  FeatureDistillationObjective objective(std::make_shared<LiveTeacher>(teacher), {}, DistillationMode::kSoft,
                                         {{FeatureLossKind::kHint, "hidden1", "hidden1", 1}},
                                         false, *student, d.features, 0);
  const at::Tensor before = objective.trainable()->parameters()[0].clone();
  const data::Batch batch{d.features, d.labels, at::arange(64)};
  auto hint_value = [&] {
    models::FeatureTaps taps(objective.student_taps());
    const at::Tensor logits = student->forward(d.features, taps);
    return objective.loss(batch, logits, taps).item<double>();
  };
  const double initial = hint_value();
  TrainOptions options;
  options.label = "hints";
  options.epochs = 5;
  options.batch_size = 16;
  options.show_progress = false;
  testing::TempDir dir;
  options.checkpoint_path = dir / "hints.ckpt";
  train_model(*student, objective, d, data::Dataset{}, options);
  EXPECT_FALSE(objective.trainable()->parameters()[0].equal(before)) << "the adapter did not train";
  EXPECT_LT(hint_value(), 0.5 * initial);

  // The checkpoint carries the adapter: it restores into a fresh objective's adapter.
  FeatureDistillationObjective fresh(std::make_shared<LiveTeacher>(teacher), {}, DistillationMode::kSoft,
                                     {{FeatureLossKind::kHint, "hidden1", "hidden1", 1}}, false,
                                     *student, d.features, 9);
  std::vector<at::Tensor> params = student->parameters();
  for (const auto& p : fresh.trainable()->parameters()) params.push_back(p);
  FusedSgd optimizer(params, torch::optim::SGDOptions(0.1));
  std::vector<at::Tensor> best;
  const std::string fingerprint = "fingerprint";
  TrainingProgress progress;
  progress.fingerprint = fingerprint;
  save_checkpoint(dir / "c.pt", *student, optimizer, {}, progress, objective.trainable().get());
  load_checkpoint(dir / "c.pt", *student, optimizer, best, fingerprint, fresh.trainable().get());
  EXPECT_TRUE(fresh.trainable()->parameters()[0].equal(objective.trainable()->parameters()[0]));
}

}  // namespace
}  // namespace distill::distillation
