// YAML -> PipelineConfig, section by section, with range checks naming each key.
#include "distill/config/pipeline_config.h"

#include <algorithm>
#include <cmath>

#include <yaml-cpp/yaml.h>

#include <sstream>

#include "yaml_section.h"
#include "distill/compression/text_int8_export.h"
#include "distill/core/error.h"
#include "distill/models/model_family.h"
#include "distill/text/wordpiece_vocabulary.h"

namespace distill::config {
namespace {

using distillation::DistillationMode;
using distillation::OptimizerKind;
using distillation::ScheduleKind;
using models::Activation;
using models::ModelKind;

/// "config 'x.yaml': student.train.epochs = 0: expected >= 1"
template <typename T>
void check_value(bool ok, const YamlSection& s, const std::string& key, const T& value,
                 const std::string& expected) {
  DISTILL_CHECK(ok, "config '", s.source(), "': ", s.key_path(key), " = ", value, ": expected ",
                expected);
}

/// "config 'x.yaml': data.test_csv is required when data.source is csv"
void check(bool ok, const YamlSection& s, const std::string& key, const std::string& problem) {
  DISTILL_CHECK(ok, "config '", s.source(), "': ", s.key_path(key), " ", problem);
}

void read_model(YamlSection s, models::ModelSpec& spec) {
  std::vector<std::pair<std::string, ModelKind>> families;
  for (const models::ModelFamily& family : models::model_families())
    if (family.build != nullptr) families.emplace_back(family.kind.name(), family.kind);
  s.read_choice<ModelKind>("type", spec.kind, families);
  s.read("input_shape", spec.input_shape);
  s.read("num_classes", spec.num_classes);
  s.read("hidden", spec.hidden);
  s.read_choice<Activation>("activation", spec.activation,
                            {{"relu", Activation::kRelu},
                             {"gelu", Activation::kGelu},
                             {"tanh", Activation::kTanh}});
  s.read("dropout", spec.dropout);
  s.read("channels", spec.channels);
  s.read("blocks_per_stage", spec.blocks_per_stage);
  s.read("vocab_size", spec.vocab_size);
  s.read("embedding_dim", spec.embedding_dim);
  s.read("layers", spec.layers);
  s.read("heads", spec.heads);
  s.read("feed_forward", spec.feed_forward);
  s.read_choice<models::Pooling>("pooling", spec.pooling,
                                 {{"cls", models::Pooling::kCls}, {"mean", models::Pooling::kMean}});
  s.read("bigram_buckets", spec.bigram_buckets);
  s.read("kernel_widths", spec.kernel_widths);
  s.read("filters", spec.filters);
  s.reject_unknown_keys();
  for (size_t i = 0; i < spec.hidden.size(); ++i)
    check_value(spec.hidden[i] > 0, s, "hidden[" + std::to_string(i) + "]", spec.hidden[i],
                "a layer width > 0");
  check_value(spec.dropout >= 0 && spec.dropout < 1, s, "dropout", spec.dropout, "a value in [0, 1)");
  for (int64_t c : spec.channels)
    check_value(c > 0, s, "channels", c, "channel counts > 0");
  check(!spec.channels.empty(), s, "channels", "is empty: expected at least one stage");
  check_value(spec.blocks_per_stage >= 1, s, "blocks_per_stage", spec.blocks_per_stage, ">= 1");
  check_value(spec.num_classes == 0 || spec.num_classes >= 2, s, "num_classes", spec.num_classes,
              ">= 2, or 0 to take it from the data");
}

void read_train(YamlSection s, distillation::TrainOptions& o) {
  s.read("epochs", o.epochs);
  s.read("batch_size", o.batch_size);
  s.read("micro_batch_size", o.micro_batch_size);
  s.read_choice<OptimizerKind>("optimizer", o.optimizer.kind,
                               {{"sgd", OptimizerKind::kSgd},
                                {"adam", OptimizerKind::kAdam},
                                {"adamw", OptimizerKind::kAdamW}});
  s.read("lr", o.optimizer.learning_rate);
  s.read("momentum", o.optimizer.momentum);
  s.read("nesterov", o.optimizer.nesterov);
  s.read("weight_decay", o.optimizer.weight_decay);
  s.read_choice<ScheduleKind>("schedule", o.schedule.kind,
                              {{"constant", ScheduleKind::kConstant},
                               {"step", ScheduleKind::kStep},
                               {"cosine", ScheduleKind::kCosine}});
  s.read("step_epochs", o.schedule.step_epochs);
  s.read("step_gamma", o.schedule.step_gamma);
  s.read("warmup_epochs", o.schedule.warmup_epochs);
  s.read("early_stopping_patience", o.early_stopping_patience);
  s.read("max_gradient_norm", o.max_gradient_norm);
  YamlSection augmentation = s.section("augmentation");
  augmentation.read("max_shift", o.augmentation.max_shift);
  augmentation.read("horizontal_flip", o.augmentation.horizontal_flip);
  augmentation.reject_unknown_keys();
  s.reject_unknown_keys();
  try {
    validate_train_options(o, s.path());
  } catch (const Error& e) {
    throw Error("config '" + s.source() + "': " + e.what(), e.hint(), e.where());
  }
}

void read_stage(YamlSection s, ModelStageConfig& stage, bool is_teacher) {
  read_model(s.section("model"), stage.model);
  read_train(s.section("train"), stage.train);
  if (is_teacher) s.read("load", stage.load);
  stage.baseline_train = stage.train;
  if (!is_teacher) read_train(s.section("baseline_train"), stage.baseline_train);
  YamlSection pretrain = s.section("pretrain");
  pretrain.read("epochs", stage.pretrain.epochs);
  pretrain.read("batch_size", stage.pretrain.batch_size);
  pretrain.read("mask_probability", stage.pretrain.mask_probability);
  pretrain.read("lr", stage.pretrain.optimizer.learning_rate);
  pretrain.read("weight_decay", stage.pretrain.optimizer.weight_decay);
  pretrain.read("max_gradient_norm", stage.pretrain.max_gradient_norm);
  pretrain.reject_unknown_keys();
  try {
    distillation::validate_masked_token_options(stage.pretrain, pretrain.path());
  } catch (const Error& e) {
    throw Error("config '" + s.source() + "': " + e.what(), e.hint(), e.where());
  }
  s.reject_unknown_keys();
}

void read_text_data(YamlSection s, data::TextDataOptions& t) {
  s.read("train", t.train);
  s.read("validation", t.validation);
  s.read("test", t.test);
  s.read_choice<data::TextFormat>("format", t.file.format,
                                  {{"auto", data::TextFormat::kAuto},
                                   {"tsv", data::TextFormat::kTsv},
                                   {"csv", data::TextFormat::kCsv},
                                   {"jsonl", data::TextFormat::kJsonl}});
  s.read("text_field", t.file.text_field);
  s.read("label_field", t.file.label_field);
  s.read("max_line_bytes", t.file.max_line_bytes);
  s.read("max_tokens", t.encoding.max_tokens);
  s.read("cls_first", t.encoding.cls_first);
  YamlSection tokenizer = s.section("tokenizer");
  tokenizer.read("vocab_size", t.tokenizer.vocab_size);
  tokenizer.read_choice<text::SubwordModel>("model", t.tokenizer.model,
                                            {{"unigram", text::SubwordModel::kUnigram},
                                             {"bpe", text::SubwordModel::kBpe}});
  tokenizer.read("character_coverage", t.tokenizer.character_coverage);
  tokenizer.read("file", t.tokenizer_file);
  tokenizer.read("cache_dir", t.tokenizer_cache_dir);
  tokenizer.read("lowercase", t.tokenizer_lowercase);
  check(!tokenizer.has("lowercase") || text::is_wordpiece_vocabulary_path(t.tokenizer_file),
        tokenizer, "lowercase",
        "applies to a WordPiece vocabulary (tokenizer.file a vocab.txt) only; remove it");
  tokenizer.reject_unknown_keys();
  s.reject_unknown_keys();
  check_value(t.file.max_line_bytes >= 16, s, "max_line_bytes", t.file.max_line_bytes, ">= 16");
  try {
    data::validate_text_encoding(t.encoding, s.path());
    text::validate_tokenizer_options(t.tokenizer, tokenizer.path());
  } catch (const Error& e) {
    throw Error("config '" + s.source() + "': " + e.what(), e.hint(), e.where());
  }
}

void read_data(YamlSection s, data::DataOptions& d) {
  s.read_choice<data::DataSourceKind>("source", d.source,
                                      {{"fashion-mnist", data::DataSourceKind::kFashionMnist},
                                       {"idx", data::DataSourceKind::kIdx},
                                       {"csv", data::DataSourceKind::kCsv},
                                       {"text", data::DataSourceKind::kText}});
  s.read("dir", d.dir);
  s.read("train_images", d.train_images);
  s.read("train_labels", d.train_labels);
  s.read("test_images", d.test_images);
  s.read("test_labels", d.test_labels);
  s.read("num_classes", d.num_classes);
  s.read("train_csv", d.train_csv);
  s.read("test_csv", d.test_csv);
  YamlSection csv = s.section("csv");
  csv.read("label_column", d.csv.label_column);
  csv.read("has_header", d.csv.has_header);
  std::string delimiter(1, d.csv.delimiter);
  csv.read("delimiter", delimiter);
  check_value(delimiter.size() == 1, csv, "delimiter", "'" + delimiter + "'", "one character");
  d.csv.delimiter = delimiter[0];
  csv.reject_unknown_keys();
  read_text_data(s.section("text"), d.text);
  s.read("train_limit", d.train_limit);
  s.read("test_limit", d.test_limit);
  s.read("validation_size", d.validation_size);
  s.read("normalize", d.normalize);
  s.reject_unknown_keys();

  check_value(d.num_classes >= 2, s, "num_classes", d.num_classes, ">= 2");
  check_value(d.train_limit >= 0, s, "train_limit", d.train_limit, ">= 0 (0: all)");
  check_value(d.test_limit >= 0, s, "test_limit", d.test_limit, ">= 0 (0: all)");
  check_value(d.validation_size >= 0, s, "validation_size", d.validation_size, ">= 0");
  const bool validation_file = d.source == data::DataSourceKind::kText && !d.text.validation.empty();
  check_value(validation_file || d.train_limit == 0 || d.validation_size < d.train_limit, s,
              "validation_size",
              d.validation_size,
              "fewer than train_limit = " + std::to_string(d.train_limit) + " samples");
  if (d.source == data::DataSourceKind::kIdx) {
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"train_images", d.train_images},
                                     {"train_labels", d.train_labels},
                                     {"test_images", d.test_images},
                                     {"test_labels", d.test_labels}})
      check(!value.empty(), s, key, "is required when data.source is idx");
  }
  if (d.source == data::DataSourceKind::kText) {
    YamlSection text = s.section("text");
    check(!d.text.train.empty(), text, "train", "is required when data.source is text");
    check(!d.text.test.empty(), text, "test", "is required when data.source is text");
  }
  if (d.source == data::DataSourceKind::kCsv) {
    check(!d.train_csv.empty(), s, "train_csv", "is required when data.source is csv");
    check(!d.test_csv.empty(), s, "test_csv", "is required when data.source is csv");
  }
}

void read_distill(YamlSection s, DistillStageConfig& d) {
  s.read("temperature", d.loss.temperature);
  s.read("alpha", d.loss.alpha);
  s.read_choice<DistillationMode>("mode", d.mode,
                                  {{"soft", DistillationMode::kSoft},
                                   {"pseudo-label", DistillationMode::kPseudoLabel}});
  s.read("finetune_epochs", d.finetune_epochs);
  s.read("finetune_lr", d.finetune_lr);
  s.read_choice<TeacherOutputs>("teacher_outputs", d.teacher_outputs,
                                {{"auto", TeacherOutputs::kAuto},
                                 {"live", TeacherOutputs::kLive},
                                 {"cached", TeacherOutputs::kCached}});
  s.read_choice<TeacherPrecision>("teacher_precision", d.teacher_precision,
                                  {{"fp32", TeacherPrecision::kFp32},
                                   {"int8", TeacherPrecision::kInt8}});
  s.read("cache_dir", d.cache_dir);
  YamlSection transfer = s.section("transfer_set");
  transfer.read("copies", d.transfer_set.copies);
  transfer.read("mask_probability", d.transfer_set.mask_probability);
  transfer.read("replace_probability", d.transfer_set.replace_probability);
  transfer.read("neighbours", d.transfer_set.neighbours);
  transfer.read("ngram_probability", d.transfer_set.ngram_probability);
  transfer.read("ngram_max_tokens", d.transfer_set.ngram_max_tokens);
  transfer.reject_unknown_keys();
  try {
    data::validate_token_augmentation(d.transfer_set, transfer.path());
  } catch (const Error& e) {
    throw Error("config '" + s.source() + "': " + e.what(), e.hint(), e.where());
  }
  for (YamlSection item : s.sections("features")) {
    distillation::FeatureTerm term;
    item.read_choice<distillation::FeatureLossKind>(
        "kind", term.kind,
        {{"hint", distillation::FeatureLossKind::kHint},
         {"attention", distillation::FeatureLossKind::kAttention},
         {"rkd_distance", distillation::FeatureLossKind::kRkdDistance},
         {"rkd_angle", distillation::FeatureLossKind::kRkdAngle},
         {"attention_matrix", distillation::FeatureLossKind::kAttentionMatrix}});
    item.read("student", term.student_tap);
    item.read("teacher", term.teacher_tap);
    item.read("weight", term.weight);
    item.reject_unknown_keys();
    check(!term.student_tap.empty(), item, "student", "is required: the student's layer to tap");
    check(!term.teacher_tap.empty(), item, "teacher", "is required: the teacher's layer to tap");
    check_value(term.weight > 0 && std::isfinite(term.weight), item, "weight", term.weight,
                "a finite value > 0");
    d.features.push_back(term);
  }
  s.read("hint_stage_epochs", d.hint_stage_epochs);
  s.read("extra_teachers", d.extra_teachers);
  s.read_choice<distillation::TeacherCombination>(
      "teacher_combination", d.teacher_combination,
      {{"average", distillation::TeacherCombination::kAverage},
       {"weights", distillation::TeacherCombination::kWeights},
       {"confidence", distillation::TeacherCombination::kConfidence}});
  s.read("teacher_weights", d.teacher_weights);
  s.reject_unknown_keys();
  const bool weighted = d.teacher_combination == distillation::TeacherCombination::kWeights;
  check(!weighted || d.teacher_weights.size() == d.extra_teachers.size() + 1, s, "teacher_weights",
        "needs one weight per teacher: the run's teacher, then each of extra_teachers (" +
            std::to_string(d.extra_teachers.size() + 1) + " in all)");
  check(weighted || d.teacher_weights.empty(), s, "teacher_weights",
        "is used only with teacher_combination: weights");
  for (double w : d.teacher_weights)
    check_value(w >= 0 && std::isfinite(w), s, "teacher_weights", w, "values >= 0");
  check(d.extra_teachers.empty() || d.features.empty(), s, "extra_teachers",
        "cannot be combined with distill.features (feature terms take one teacher)");
  check_value(d.hint_stage_epochs >= 0, s, "hint_stage_epochs", d.hint_stage_epochs, ">= 0");
  const bool has_hint = std::any_of(d.features.begin(), d.features.end(), [](const auto& t) {
    return t.kind == distillation::FeatureLossKind::kHint;
  });
  check(d.hint_stage_epochs == 0 || has_hint, s, "hint_stage_epochs",
        "needs at least one feature of kind hint");
  check(d.features.empty() || d.teacher_outputs != TeacherOutputs::kCached, s, "teacher_outputs",
        "cannot be cached with distill.features: feature maps come from the live teacher");
  const bool int8_teacher = d.teacher_precision == TeacherPrecision::kInt8;
  check(!int8_teacher || d.teacher_outputs != TeacherOutputs::kCached, s, "teacher_precision",
        "int8 runs the teacher live from its int8 model; it cannot be combined with "
        "teacher_outputs: cached (the cache holds the fp32 teacher's logits)");
  check(!int8_teacher || d.features.empty(), s, "teacher_precision",
        "int8 cannot be combined with distill.features: feature maps come from the fp32 teacher");
  check(!int8_teacher || d.extra_teachers.empty(), s, "teacher_precision",
        "int8 takes one teacher; it cannot be combined with extra_teachers");
  check_value(d.loss.temperature > 0, s, "temperature", d.loss.temperature, "a value > 0");
  check_value(d.loss.alpha >= 0 && d.loss.alpha <= 1, s, "alpha", d.loss.alpha, "a value in [0, 1]");
  check_value(d.finetune_epochs >= 0, s, "finetune_epochs", d.finetune_epochs, ">= 0");
  check_value(d.finetune_lr > 0, s, "finetune_lr", d.finetune_lr, "> 0");
}

void read_prune(YamlSection s, PruneStageConfig& p) {
  s.read_choice<PruneKind>("kind", p.kind,
                           {{"none", PruneKind::kNone},
                            {"magnitude", PruneKind::kMagnitude},
                            {"neurons", PruneKind::kNeurons}});
  s.read("target_sparsity", p.target_sparsity);
  s.read("keep_fraction", p.keep_fraction);
  s.read("epochs", p.epochs);
  s.read("lr", p.lr);
  s.reject_unknown_keys();
  check_value(p.target_sparsity >= 0 && p.target_sparsity < 1, s, "target_sparsity",
              p.target_sparsity, "a fraction in [0, 1)");
  check_value(p.keep_fraction > 0 && p.keep_fraction <= 1, s, "keep_fraction", p.keep_fraction,
              "a fraction in (0, 1]");
  check_value(p.epochs >= 1, s, "epochs", p.epochs, ">= 1");
  check_value(p.lr > 0 && std::isfinite(p.lr), s, "lr", p.lr, "a finite value > 0");
}

void read_self_distill(YamlSection s, SelfDistillConfig& c) {
  s.read("generations", c.generations);
  s.read("teacher_free", c.teacher_free);
  s.read("virtual_confidence", c.virtual_confidence);
  s.reject_unknown_keys();
  check_value(c.generations >= 0 && c.generations <= 10, s, "generations", c.generations,
              "0 to 10");
  check_value(c.virtual_confidence > 0 && c.virtual_confidence < 1, s, "virtual_confidence",
              c.virtual_confidence, "a probability in (1/classes, 1)");
}

void read_quantize(YamlSection s, QuantizeStageConfig& q) {
  s.read("enabled", q.enabled);
  s.read_choice<runtime::ActivationQuantization>(
      "activations", q.options.activations,
      {{"static", runtime::ActivationQuantization::kStatic},
       {"dynamic", runtime::ActivationQuantization::kDynamic}});
  s.read_choice<compression::ObserverKind>("observer", q.options.observer.kind,
                                           {{"mse", compression::ObserverKind::kMse},
                                            {"minmax", compression::ObserverKind::kMinMax},
                                            {"percentile", compression::ObserverKind::kPercentile}});
  s.read("percentile", q.options.observer.percentile);
  s.read("calibration_samples", q.calibration_samples);
  s.read("qat_epochs", q.qat_epochs);
  s.read("qat_lr", q.qat_lr);
  s.read("qat_temperature", q.qat_loss.temperature);
  s.read("qat_alpha", q.qat_loss.alpha);
  s.reject_unknown_keys();
  check_value(q.qat_epochs >= 0, s, "qat_epochs", q.qat_epochs, ">= 0");
  check_value(q.qat_lr > 0, s, "qat_lr", q.qat_lr, "> 0");
  check_value(q.qat_loss.temperature > 0, s, "qat_temperature", q.qat_loss.temperature,
              "a value > 0");
  check_value(q.qat_loss.alpha >= 0 && q.qat_loss.alpha <= 1, s, "qat_alpha", q.qat_loss.alpha,
              "a value in [0, 1]");
  check(q.qat_epochs == 0 || q.options.activations == runtime::ActivationQuantization::kStatic, s,
        "qat_epochs", "needs quantize.activations = static (set qat_epochs: 0 for dynamic)");
  check_value(q.options.observer.percentile > 0 && q.options.observer.percentile <= 100, s,
              "percentile", q.options.observer.percentile, "a value in (0, 100]");
  check_value(q.calibration_samples >= 1, s, "calibration_samples", q.calibration_samples, ">= 1");
}

void read_evaluation(YamlSection s, EvaluationConfig& e) {
  s.read("batch_size", e.batch_size);
  s.read("speed", e.measure_speed);
  s.read("latency_repetitions", e.speed.latency_repetitions);
  s.read("throughput_batch", e.speed.throughput_batch);
  s.read("throughput_repetitions", e.speed.throughput_repetitions);
  s.read("speed_rounds", e.speed.rounds);
  s.reject_unknown_keys();
  check_value(e.batch_size >= 1, s, "batch_size", e.batch_size, ">= 1");
  check_value(e.speed.latency_repetitions >= 1, s, "latency_repetitions", e.speed.latency_repetitions, ">= 1");
  check_value(e.speed.throughput_batch >= 1, s, "throughput_batch", e.speed.throughput_batch, ">= 1");
  check_value(e.speed.throughput_repetitions >= 1, s, "throughput_repetitions", e.speed.throughput_repetitions, ">= 1");
  check_value(e.speed.rounds >= 1, s, "speed_rounds", e.speed.rounds, ">= 1");
}

YAML::Node parse_yaml(const std::string& text, const std::string& source_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    DISTILL_FAIL("config '", source_name, "' is not valid YAML: line ", e.mark.line + 1,
                 ", column ", e.mark.column + 1, ": ", e.msg);
  }
}

void apply_override(YAML::Node& root, const std::string& assignment,
                    const std::string& source_name) {
  const size_t eq = assignment.find('=');
  DISTILL_CHECK_HINT(eq != std::string::npos && eq > 0, "write --set key.path=value",
                     "override '", assignment, "' is not of the form key.path=value");
  const std::string path = assignment.substr(0, eq);
  const YAML::Node value = parse_yaml(assignment.substr(eq + 1), "override '" + assignment + "'");
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node current = root;
  std::istringstream keys(path);
  std::string key;
  std::vector<std::string> parts;
  while (std::getline(keys, key, '.')) {
    DISTILL_CHECK(!key.empty(), "override '", assignment, "' has an empty key in '", path, "'");
    parts.push_back(key);
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = current[parts[i]];
    if (!next.IsMap()) {
      DISTILL_CHECK(!next.IsDefined() || next.IsNull(), "override '", assignment, "': '",
                    parts[i], "' in ", source_name, " is not a mapping");
      current[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = current[parts[i]];
    }
    current.reset(next);
  }
  current[parts.back()] = value;
}

}  // namespace

std::string apply_config_overrides(const std::string& yaml_text, const std::string& source_name,
                                   const std::vector<std::string>& overrides) {
  if (overrides.empty()) return yaml_text;
  YAML::Node root = parse_yaml(yaml_text, source_name);
  for (const auto& assignment : overrides) apply_override(root, assignment, source_name);
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

PipelineConfig parse_pipeline_config(const std::string& yaml_text, const std::string& source_name,
                                     const std::vector<std::string>& overrides) {
  YAML::Node root = parse_yaml(yaml_text, source_name);
  for (const auto& assignment : overrides) apply_override(root, assignment, source_name);

  PipelineConfig config;
  config.teacher.train.label = "teacher";
  config.student.train.label = "student";
  YamlSection s(root, "", source_name);
  s.read("seed", config.seed);
  s.read("threads", config.threads);
  s.read_choice<kernels::ComputePath>(
      "compute", config.compute,
      {{"fast", kernels::ComputePath::kFast}, {"reference", kernels::ComputePath::kReference}});
  s.read("output_dir", config.output_dir);
  read_data(s.section("data"), config.data);
  read_stage(s.section("teacher"), config.teacher, /*is_teacher=*/true);
  read_stage(s.section("student"), config.student, /*is_teacher=*/false);
  read_distill(s.section("distill"), config.distill);
  read_quantize(s.section("quantize"), config.quantize);
  read_prune(s.section("prune"), config.prune);
  read_self_distill(s.section("self_distill"), config.self_distill);
  read_evaluation(s.section("evaluation"), config.evaluation);
  s.reject_unknown_keys();
  DISTILL_CHECK_HINT(config.distill.teacher_outputs != TeacherOutputs::kCached ||
                         !config.student.train.augmentation.enabled(),
                     "set distill.teacher_outputs to auto or live",
                     "config '", source_name, "': distill.teacher_outputs = cached cannot be exact "
                     "with student.train.augmentation on: the cache holds the teacher's outputs "
                     "for the unaugmented samples");
  // CNN, text CNN and BiLSTM students are quantized with static activations (ranges from
  // calibration); asking for dynamic ones fails here rather than after training.
  const models::ModelKind student_kind = config.student.model.kind;
  const bool static_only_student = models::is_cnn(student_kind) ||
                                   student_kind == models::ModelKind::kTextCnn ||
                                   student_kind == models::ModelKind::kBiLstm;
  const bool static_activations =
      config.quantize.options.activations == runtime::ActivationQuantization::kStatic;
  DISTILL_CHECK_HINT(!config.quantize.enabled || !static_only_student || static_activations,
                     std::string("set quantize.activations: static for a ") +
                         models::to_string(student_kind) + " student", "config '",
                     source_name, "': the ", models::to_string(config.student.model.kind),
                     " student is quantized with static activations; dynamic activations cover "
                     "MLP students");
  // Text students the runtime has no int8 form of are refused before any training.
  DISTILL_CHECK_HINT(!config.quantize.enabled || !config.student.load.empty() ||
                         !models::takes_token_ids(student_kind) ||
                         compression::has_int8_text_export(student_kind),
                     "set quantize.enabled: false, or use a " +
                         compression::int8_text_family_names() + " student",
                     "config '", source_name, "': quantize.enabled is true but the int8 runtime "
                     "has no form of a ", models::to_string(student_kind), " text student yet");
  check_value(config.threads >= 0, s, "threads", config.threads, ">= 0 (0: all cores)");
  check(!config.output_dir.empty(), s, "output_dir", "is empty: expected a directory");
  return config;
}

ModelStageConfig baseline_student(const PipelineConfig& config) {
  ModelStageConfig baseline = config.student;
  baseline.train = config.student.baseline_train;
  return baseline;
}

void resolve_model_shape(models::ModelSpec& spec, const std::vector<int64_t>& sample_shape,
                         int64_t num_classes, const std::string& where, int64_t vocab_size) {
  const bool reads_tokens = models::takes_token_ids(spec.kind);
  DISTILL_CHECK_HINT(reads_tokens == (vocab_size > 0) || spec.kind == models::ModelKind::kTorchScript,
                     vocab_size > 0 ? "text takes the text families: " +
                                         models::model_family_names(models::ModelInput::kTokens)
                                    : "use a text family with data.source: text",
                     where, ": type ", models::to_string(spec.kind), " reads ",
                     models::to_string(models::model_family(spec.kind).input), " but the data is ",
                     vocab_size > 0 ? "token ids (data.source: text)" : "float samples");
  if (spec.input_shape.empty()) spec.input_shape = sample_shape;
  if (reads_tokens && spec.vocab_size == 0) spec.vocab_size = vocab_size;
  DISTILL_CHECK_HINT(!reads_tokens || spec.vocab_size == vocab_size,
                     "remove " + where + ".vocab_size to take it from the tokenizer", where,
                     ".vocab_size is ", spec.vocab_size, " but the tokenizer has ", vocab_size,
                     " pieces");
  if (spec.num_classes == 0) spec.num_classes = num_classes;
  auto shape_text = [](const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  };
  DISTILL_CHECK_HINT(spec.input_shape == sample_shape,
                     "remove " + where + ".input_shape to take it from the data",
                     where, ".input_shape is ", shape_text(spec.input_shape),
                     " but the data's samples are ", shape_text(sample_shape));
  DISTILL_CHECK_HINT(spec.num_classes == num_classes,
                     "remove " + where + ".num_classes to take it from the data", where,
                     ".num_classes is ", spec.num_classes, " but the data has ", num_classes,
                     " classes");
  models::validate_model_spec(spec, where);
}

}  // namespace distill::config
