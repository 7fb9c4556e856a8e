// Model families: shapes, parameter counts against closed forms, taps, and spec validation.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "distill/models/classifier.h"
#include "distill/models/model_size.h"
#include "test_support.h"

namespace distill::models {
namespace {

ModelSpec mlp_spec(std::vector<int64_t> hidden) {
  ModelSpec spec;
  spec.kind = ModelKind::kMlp;
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.hidden = std::move(hidden);
  return spec;
}

ModelSpec cnn_spec(ModelKind kind) {
  ModelSpec spec;
  spec.kind = kind;
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.channels = {8, 16};
  spec.blocks_per_stage = 1;
  return spec;
}

TEST(Models, MlpParameterCountMatchesTheClosedForm) {
  auto model = build_classifier(mlp_spec({1200, 1200}));
  const ModelSize size = measure_model_size(*model);
  EXPECT_EQ(size.parameters, 784 * 1200 + 1200 + 1200 * 1200 + 1200 + 1200 * 10 + 10);
  EXPECT_EQ(size.bytes, size.parameters * 4);
  EXPECT_EQ(measure_model_size(*build_classifier(mlp_spec({100}))).parameters, 79510);
}

TEST(Models, ResNetParameterCountMatchesTheClosedForm) {
  // stem conv 1->8 (3x3) + bn(8); stage1 block 8->8: two 3x3 convs + two bns; stage2 block
  // 8->16 stride 2: conv 8->16, conv 16->16, 1x1 shortcut 8->16, three bns; head 16->10.
  const int64_t expected = 9 * 8 + 16 + 2 * (9 * 64 + 16) + (9 * 8 * 16 + 32) +
                           (9 * 16 * 16 + 32) + (8 * 16 + 32) + 16 * 10 + 10;
  EXPECT_EQ(measure_model_size(*build_classifier(cnn_spec(ModelKind::kResNet))).parameters, expected);
}

TEST(Models, MobileNetParameterCountMatchesTheClosedForm) {
  // stem 1->8 + bn; stage1: depthwise 3x3 on 8 + bn, pointwise 8->8 + bn; stage2: depthwise
  // 3x3 on 8 + bn, pointwise 8->16 + bn; head 16->10.
  const int64_t expected = 9 * 8 + 16 + (9 * 8 + 16) + (8 * 8 + 16) + (9 * 8 + 16) +
                           (8 * 16 + 32) + 16 * 10 + 10;
  EXPECT_EQ(measure_model_size(*build_classifier(cnn_spec(ModelKind::kMobileNet))).parameters, expected);
}

TEST(Models, EveryFamilyMapsImagesToLogitsAndRecordsItsTaps) {
  for (const ModelSpec& spec :
       {mlp_spec({32, 16}), cnn_spec(ModelKind::kResNet), cnn_spec(ModelKind::kMobileNet)}) {
    auto model = build_classifier(spec);
    const at::Tensor x = at::randn({5, 1, 28, 28});
    FeatureTaps taps(model->tap_names());
    const at::Tensor logits = model->forward(x, taps);
    EXPECT_EQ(logits.sizes(), (at::IntArrayRef{5, 10})) << describe_model_spec(spec);
    for (const auto& name : model->tap_names()) {
      EXPECT_EQ(taps.get(name).size(0), 5) << name;
    }
    EXPECT_TRUE(taps.get("logits").equal(logits));
  }
}

TEST(Models, MlpAcceptsTabularInputs) {
  ModelSpec spec = mlp_spec({8});
  spec.input_shape = {6};
  spec.num_classes = 3;
  EXPECT_EQ(build_classifier(spec)->forward(at::randn({4, 6})).sizes(), (at::IntArrayRef{4, 3}));
}

TEST(Models, SameSeedSameWeights) {
  auto a = build_classifier(mlp_spec({10}), 5), b = build_classifier(mlp_spec({10}), 5);
  auto c = build_classifier(mlp_spec({10}), 6);
  EXPECT_TRUE(a->parameters()[0].equal(b->parameters()[0]));
  EXPECT_FALSE(a->parameters()[0].equal(c->parameters()[0]));
}

TEST(Models, SpecValidationNamesTheField) {
  auto message = [](ModelSpec spec) {
    try {
      validate_model_spec(spec, "student.model");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(message(mlp_spec({100, 0})), "student.model.hidden[1] = 0: expected a layer width > 0");
  ModelSpec tabular_cnn = cnn_spec(ModelKind::kResNet);
  tabular_cnn.input_shape = {20};
  EXPECT_EQ(message(tabular_cnn),
            "student.model: a resnet needs image inputs [C, H, W], got 1-dimensional samples");
  ModelSpec deep = cnn_spec(ModelKind::kMobileNet);
  deep.channels = {4, 4, 4, 4, 4, 4};
  EXPECT_EQ(message(deep), "student.model: 6 stages halve 28x28 images 5 times; use fewer stages");

  // Limits against absurd sizes from mistyped configs or hostile model files.
  EXPECT_EQ(message(mlp_spec({100, kMaxModelDimension + 1})),
            "student.model.hidden[1] = 1048577: expected at most 1048576");
  EXPECT_EQ(message(mlp_spec(std::vector<int64_t>(kMaxModelLayers + 1, 8))),
            "student.model: 257 hidden layers, expected at most 256");
  EXPECT_NE(message(mlp_spec({40000, 40000})).find("more than the 1e+09 distill accepts"),
            std::string::npos);
  ModelSpec many_stages = cnn_spec(ModelKind::kResNet);
  many_stages.channels.assign(200, 4);  // 199 halvings: the check must not shift by 199 bits
  EXPECT_NE(message(many_stages).find("200 stages halve"), std::string::npos);
}

TEST(Models, MinimumParameterCountIsExactForMlpsAndALowerBoundForCnns) {
  ModelSpec mlp = mlp_spec({100});
  EXPECT_EQ(minimum_parameter_count(mlp), 784.0 * 100 + 100 + 100 * 10 + 10);
  EXPECT_EQ(minimum_parameter_count(mlp),
            static_cast<double>(measure_model_size(*build_classifier(mlp)).parameters));
  for (ModelKind kind : {ModelKind::kResNet, ModelKind::kMobileNet}) {
    const ModelSpec cnn = cnn_spec(kind);
    EXPECT_LE(minimum_parameter_count(cnn),
              static_cast<double>(measure_model_size(*build_classifier(cnn)).parameters))
        << to_string(kind);
  }
}

TEST(Models, MissingTapListsWhatWasRecorded) {
  auto model = build_classifier(mlp_spec({10}));
  FeatureTaps taps({"hidden1"});
  model->forward(at::randn({2, 1, 28, 28}), taps);
  try {
    taps.get("stage1");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "no feature tap 'stage1' was recorded (recorded: hidden1)");
  }
}

}  // namespace
}  // namespace distill::models
