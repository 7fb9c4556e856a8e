// Config parsing: the default, overrides, and an exact message for each kind of mistake.
#include "distill/config/pipeline_config.h"

#include <gtest/gtest.h>

#include "distill/core/error.h"

namespace distill::config {
namespace {

struct Failure {
  std::string message;
  std::string hint;
};

Failure failure_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_pipeline_config(yaml, "my.yaml", overrides);
  } catch (const Error& e) {
    return {e.what(), e.hint()};
  }
  return {"(no error)", ""};
}

TEST(PipelineConfig, DefaultConfigParsesToTheDocumentedPipeline) {
  const PipelineConfig c = parse_pipeline_config(default_config_yaml(), "default");
  EXPECT_EQ(c.data.source, data::DataSourceKind::kFashionMnist);
  EXPECT_EQ(c.teacher.model.kind, models::ModelKind::kMlp);
  EXPECT_EQ(c.teacher.model.hidden, (std::vector<int64_t>{1200, 1200}));
  EXPECT_EQ(c.student.model.hidden, (std::vector<int64_t>{100}));
  EXPECT_EQ(c.distill.loss.temperature, 1.0);
  EXPECT_EQ(c.distill.loss.alpha, 0.1);  // chosen on the validation split (docs/results.md)
  EXPECT_EQ(c.student.train.epochs, 30);
  EXPECT_EQ(c.teacher.train.label, "teacher");
  // QAT distils with its own loss, not distill's.
  EXPECT_EQ(c.quantize.qat_loss.temperature, 1.0);
  EXPECT_EQ(c.quantize.qat_loss.alpha, 0.5);
  const PipelineConfig peer = parse_pipeline_config(
      "distill: {temperature: 4, alpha: 0.1}\nquantize: {qat_temperature: 2, qat_alpha: 0.25}\n",
      "peer.yaml");
  EXPECT_EQ(peer.distill.loss.temperature, 4.0);
  EXPECT_EQ(peer.quantize.qat_loss.temperature, 2.0);
  EXPECT_EQ(peer.quantize.qat_loss.alpha, 0.25);
}

TEST(PipelineConfig, EmptyDocumentGivesAllDefaults) {
  const PipelineConfig c = parse_pipeline_config("", "empty.yaml");
  EXPECT_EQ(c.seed, 0u);
  EXPECT_EQ(c.student.train.batch_size, 128);
}

TEST(PipelineConfig, OverridesSetNestedKeysWithYamlValues) {
  const PipelineConfig c = parse_pipeline_config(
      "seed: 1\n", "x.yaml",
      {"teacher.train.epochs=3", "student.model.hidden=[64, 32]", "distill.mode=pseudo-label",
       "data.train_limit=2000", "data.validation_size=500"});
  EXPECT_EQ(c.teacher.train.epochs, 3);
  EXPECT_EQ(c.student.model.hidden, (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(c.distill.mode, distillation::DistillationMode::kPseudoLabel);
  EXPECT_EQ(c.data.train_limit, 2000);
  EXPECT_EQ(c.seed, 1u);
  const std::string effective = apply_config_overrides("seed: 1\n", "x.yaml", {"seed=5"});
  EXPECT_EQ(parse_pipeline_config(effective, "x").seed, 5u);
}

TEST(PipelineConfig, UnknownKeyIsNamedWithASuggestion) {
  const Failure f = failure_of("teacher:\n  train:\n    lrate: 0.1\n");
  EXPECT_EQ(f.message.substr(0, 52), "config 'my.yaml': unknown key 'teacher.train.lrate';");
  EXPECT_EQ(f.hint, "did you mean 'teacher.train.lr'?");
}

TEST(PipelineConfig, WrongTypesNameKeyValueAndExpectation) {
  EXPECT_EQ(failure_of("student:\n  train:\n    epochs: ten\n").message,
            "config 'my.yaml': student.train.epochs = 'ten': expected an integer");
  EXPECT_EQ(failure_of("student:\n  model:\n    hidden: 100\n").message,
            "config 'my.yaml': student.model.hidden = '100': expected a list of integers, e.g. [100, 50]");
  EXPECT_EQ(failure_of("student:\n  model:\n    hidden: [100, x]\n").message,
            "config 'my.yaml': student.model.hidden[1] = 'x': expected an integer");
  EXPECT_EQ(failure_of("data:\n  normalize: maybe\n").message,
            "config 'my.yaml': data.normalize = 'maybe': expected true or false");
  EXPECT_EQ(failure_of("seed: -3\n").message,
            "config 'my.yaml': seed = '-3': expected a non-negative integer");
  EXPECT_EQ(failure_of("teacher: 5\n").message,
            "config 'my.yaml': 'teacher' must be a mapping of keys, got '5'");
}

TEST(PipelineConfig, OutOfRangeValuesNameTheAllowedRange) {
  EXPECT_EQ(failure_of("distill:\n  temperature: 0\n").message,
            "config 'my.yaml': distill.temperature = 0: expected a value > 0");
  EXPECT_EQ(failure_of("distill:\n  alpha: 1.5\n").message,
            "config 'my.yaml': distill.alpha = 1.5: expected a value in [0, 1]");
  EXPECT_EQ(failure_of("quantize:\n  qat_temperature: -1\n").message,
            "config 'my.yaml': quantize.qat_temperature = -1: expected a value > 0");
  EXPECT_EQ(failure_of("quantize:\n  qat_alpha: 2\n").message,
            "config 'my.yaml': quantize.qat_alpha = 2: expected a value in [0, 1]");
  EXPECT_EQ(failure_of("evaluation:\n  speed_rounds: 0\n").message,
            "config 'my.yaml': evaluation.speed_rounds = 0: expected >= 1");
  EXPECT_EQ(failure_of("teacher:\n  train:\n    lr: -0.1\n").message,
            "config 'my.yaml': teacher.train.lr = -0.1: expected a finite value > 0");
  EXPECT_EQ(failure_of("student:\n  model:\n    dropout: 1\n").message,
            "config 'my.yaml': student.model.dropout = 1: expected a value in [0, 1)");
  EXPECT_EQ(failure_of("data:\n  source: idx\n").message,
            "config 'my.yaml': data.train_images is required when data.source is idx");
}

TEST(PipelineConfig, BadChoiceListsTheChoices) {
  const Failure f = failure_of("teacher:\n  train:\n    optimizer: adm\n");
  EXPECT_EQ(f.message,
            "config 'my.yaml': teacher.train.optimizer = 'adm': expected one of sgd, adam, adamw");
  EXPECT_EQ(f.hint, "did you mean 'adam'?");
}

TEST(PipelineConfig, InvalidYamlGivesLineAndColumn) {
  EXPECT_EQ(failure_of("seed: [1, 2\n").message.substr(0, 45),
            "config 'my.yaml' is not valid YAML: line 2, c");
}

TEST(PipelineConfig, MalformedOverrideIsExplained) {
  const Failure f = failure_of("", {"teacher.train.epochs"});
  EXPECT_EQ(f.message, "override 'teacher.train.epochs' is not of the form key.path=value");
  EXPECT_EQ(failure_of("", {"student.train.epochs=0"}).message,
            "config 'my.yaml': student.train.epochs = 0: expected >= 1");
}

TEST(PipelineConfig, TheBaselineTrainsWithTheStudentsRecipeAndItsOwnKeysOnTop) {
  const std::string yaml =
      "student:\n  train: {epochs: 4, optimizer: adam, lr: 0.005, batch_size: 64}\n"
      "  baseline_train: {epochs: 10, lr: 0.002}\n";
  const PipelineConfig c = parse_pipeline_config(yaml, "x.yaml");
  EXPECT_EQ(c.student.train.epochs, 4);  // the distilled student's recipe is untouched
  EXPECT_EQ(c.student.train.optimizer.learning_rate, 0.005);
  const ModelStageConfig baseline = baseline_student(c);
  EXPECT_EQ(baseline.train.epochs, 10);
  EXPECT_EQ(baseline.train.optimizer.learning_rate, 0.002);
  EXPECT_EQ(baseline.train.optimizer.kind, distillation::OptimizerKind::kAdam);  // inherited
  EXPECT_EQ(baseline.train.batch_size, 64);
  EXPECT_EQ(baseline.train.label, "student");
  EXPECT_EQ(baseline.model.hidden, c.student.model.hidden);
  // Without the section the baseline trains exactly as the student does.
  const PipelineConfig plain = parse_pipeline_config("student:\n  train: {epochs: 4}\n", "x");
  EXPECT_EQ(baseline_student(plain).train.epochs, 4);
  EXPECT_EQ(baseline_student(plain).train.optimizer.learning_rate,
            plain.student.train.optimizer.learning_rate);
  // Its keys are checked like student.train's, under their own names; a teacher has none.
  EXPECT_EQ(failure_of("student:\n  baseline_train:\n    epochs: 0\n").message,
            "config 'my.yaml': student.baseline_train.epochs = 0: expected >= 1");
  const Failure typo = failure_of("student:\n  baseline_train:\n    lrate: 0.1\n");
  EXPECT_EQ(typo.hint, "did you mean 'student.baseline_train.lr'?");
  EXPECT_EQ(failure_of("teacher:\n  baseline_train:\n    epochs: 2\n").message.substr(0, 60),
            "config 'my.yaml': unknown key 'teacher.baseline_train'; allo");
}

TEST(PipelineConfig, ModelShapeIsResolvedFromTheDataOrChecked) {
  models::ModelSpec spec;
  resolve_model_shape(spec, {1, 28, 28}, 10, "student.model");
  EXPECT_EQ(spec.input_shape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(spec.num_classes, 10);
  models::ModelSpec wrong;
  wrong.num_classes = 5;
  try {
    resolve_model_shape(wrong, {1, 28, 28}, 10, "student.model");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "student.model.num_classes is 5 but the data has 10 classes");
  }
}

}  // namespace
}  // namespace distill::config
