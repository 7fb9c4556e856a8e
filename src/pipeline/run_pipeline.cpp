// The whole pipeline, stage by stage, with resumable stages and a report at the end.
#include "distill/pipeline/run_pipeline.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <nlohmann/json.hpp>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/core/run_recipe.h"
#include "distill/distillation/checkpoint.h"
#include "distill/distillation/training_summary_json.h"
#include "distill/distillation/virtual_teacher.h"
#include "distill/distributed/communicator.h"
#include "distill/pipeline/int8_stage.h"
#include "distill/pipeline/command_policy.h"
#include "distill/pipeline/text_int8_stage.h"
#include "distill/pipeline/pruning_stage.h"
#include "distill/pipeline/speed_queue.h"
#include "distill/pipeline/stages.h"
#include "distill/pipeline/teacher_file.h"
#include "distill/report/html_report.h"
#include "stage_recipes.h"

namespace distill::pipeline {
namespace {

namespace fs = std::filesystem;

struct StageFiles {
  fs::path model;
  fs::path training_record;  // the stage's TrainingSummary as JSON, for reuse by --resume
  fs::path checkpoint;
};

StageFiles stage_files(const fs::path& dir, const std::string& key) {
  const fs::path model = dir / (key + ".pt");
  return {model, training_record_path(model), dir / "checkpoints" / (key + ".ckpt")};
}

/// The training record of a finished stage: its TrainingSummary plus the recipe that produced it.
nlohmann::json read_training_record(const fs::path& path) {
  try {
    return nlohmann::json::parse(read_file_bytes(path));
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL_HINT("delete it and the stage's model file to retrain the stage",
                      "training record '", path.string(), "' is malformed (", e.what(), ")");
  }
}

/// Refuses to reuse a finished stage whose recorded recipe differs from this run's.
void check_finished_stage(const std::string& key, const StageFiles& files,
                          const RunRecipe& recipe) {
  const nlohmann::json record = read_training_record(files.training_record);
  const std::string hint =
      "resume with the config that made it, write this run to a new output directory (-o), or "
      "run without --resume to train every stage again";
  DISTILL_CHECK_HINT(record.contains("recipe") && record.at("recipe").is_string(), hint,
                     "--resume: the finished stage '", key, "' (", files.model.string(),
                     ") has no recipe in ", files.training_record.string(),
                     " (written by an older distill), so it cannot be shown to match this config");
  const RunRecipe recorded = RunRecipe::from_text(record.at("recipe").get<std::string>());
  DISTILL_CHECK_HINT(recorded == recipe, hint, "--resume: the finished stage '", key, "' (",
                     files.model.string(),
                     ") was made with other settings than this run's; reusing it would report "
                     "a model no config describes. What differs (finished stage before, this "
                     "run now):\n",
                     describe_recipe_differences(recorded, recipe));
}

/// Refuses to continue an interrupted stage whose checkpoint was written under other settings,
/// before any work (the trainer would refuse it too, but only when the stage's turn comes).
/// The checkpoint's recipe also holds the trainer's own entries ("training.*") and the teachers'
/// weights ("*.parameters"); the config-derived entries are compared here.
void check_interrupted_stage(const std::string& key, const StageFiles& files,
                             const RunRecipe& recipe) {
  RunRecipe recorded;
  const RunRecipe written =
      RunRecipe::from_text(distillation::read_checkpoint_fingerprint(files.checkpoint));
  for (const auto& [name, value] : written.entries()) {
    const bool trainer_entry = name.rfind("training.", 0) == 0 ||
                               (name.size() > 11 && name.substr(name.size() - 11) == ".parameters");
    if (!trainer_entry) recorded.set(name, value);
  }
  DISTILL_CHECK_HINT(recorded == recipe,
                     "resume with the config that started it, or run without --resume (or in a "
                     "new output directory) to start the stage over",
                     "--resume: the interrupted stage '", key, "' (", files.checkpoint.string(),
                     ") was started with other settings than this run's; continuing it would "
                     "train one model two ways. What differs (checkpoint before, this run now):\n",
                     describe_recipe_differences(recorded, recipe));
}

/// Trains a stage, or with --resume reuses its finished model file and training record (made by
/// the same recipe: run_pipeline checks every finished stage before any work).
TrainedModel run_or_reuse(const std::string& key, const StageFiles& files,
                          const PipelineOptions& options, const RunRecipe& recipe,
                          const std::function<TrainedModel(const StageRun&)>& train,
                          const StageRun& run_template) {
  if (options.resume && fs::exists(files.model) && fs::exists(files.training_record)) {
    if (options.show_progress)
      std::fprintf(stderr, "%s: reusing %s\n", key.c_str(), files.model.c_str());
    TrainedModel reused;
    reused.saved = models::load_model(files.model);
    try {
      read_training_record(files.training_record).get_to(reused.training);
    } catch (const nlohmann::json::exception& e) {
      DISTILL_FAIL("training record '", files.training_record.string(), "' is malformed (", e.what(),
                   "); delete it and ", files.model.string(), " to retrain the stage");
    }
    return reused;
  }
  StageRun run = run_template;
  run.model_path = files.model;
  run.checkpoint_path = files.checkpoint;
  run.recipe = recipe;
  TrainedModel trained = train(run);
  nlohmann::json record = trained.training;
  record["recipe"] = recipe.to_text();
  write_file_atomically(files.training_record, record.dump(2) + "\n");
  remove_written_file(files.checkpoint);
  // Every rank's next stage may read this one's files: they wait until rank 0 has written them.
  if (run.communicator) run.communicator->barrier();
  return trained;
}

/// The evaluation settings of every stage: accuracy now, speed at the end (SpeedQueue).
config::EvaluationConfig accuracy_only(const config::PipelineConfig& config) {
  config::EvaluationConfig evaluation = config.evaluation;
  evaluation.measure_speed = false;
  return evaluation;
}

report::ModelReport make_report(const std::string& key, const std::string& title,
                                TrainedModel& trained, const data::PreparedData& data,
                                const at::Tensor& teacher_predictions,
                                const config::PipelineConfig& config, const PipelineOptions& options,
                                const fs::path& file, at::Tensor* predictions = nullptr) {
  report::ModelReport r =
      evaluate_model(title, *trained.saved.model, data.test, teacher_predictions,
                     accuracy_only(config), options.show_progress, predictions,
                     options.communicator.get());
  r.key = key;
  r.objective = trained.training.objective;
  r.file = file.string();
  if (!trained.training.history.empty()) r.training = trained.training;
  return r;
}

}  // namespace

report::RunReport run_pipeline(const config::PipelineConfig& config, const PipelineOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path dir = config.output_dir;
  report::RunReport report;
  report.config_source = options.config_source;
  report.seed = config.seed;
  report.threads = apply_process_settings(config);

  // A loaded teacher brings its input normalisation; the students must see the same inputs.
  const std::string teacher_where = "teacher.load '" + config.teacher.load + "'";
  std::optional<TeacherWithData> loaded;
  if (!config.teacher.load.empty())
    loaded = load_teacher_with_data(config.teacher.load, config.data, config.seed, teacher_where);
  const data::PreparedData data =
      loaded ? std::move(loaded->data) : data::prepare_data(config.data, config.seed, nullptr);
  report.data_source = data::to_string(config.data.source);
  report.train_samples = data.train.size();
  report.validation_samples = data.validation.size();
  report.test_samples = data.test.size();
  report.class_names = data.test.class_names;
  if (options.show_progress)
    std::fprintf(stderr, "data: %lld training, %lld validation, %lld test samples; %lld threads\n",
                 static_cast<long long>(report.train_samples),
                 static_cast<long long>(report.validation_samples),
                 static_cast<long long>(report.test_samples),
                 static_cast<long long>(report.threads));

  // The models must read what the data holds (a text family for token ids, ...): checked before
  // the teacher trains. The same for the files the distillation stage reads, and the layers
  // feature terms name.
  {
    models::ModelSpec student = config.student.model;
    config::resolve_model_shape(student, data.train.sample_shape(), data.train.num_classes,
                                "student.model", data.train.vocab_size);
    DISTILL_CHECK_HINT(!data.train.has_token_ids() || !config.quantize.enabled ||
                           config.quantize.qat_epochs == 0,
                       "set quantize.qat_epochs: 0 (post-training int8 keeps the text student "
                       "within a fraction of a point; docs/text.md)",
                       "quantize.qat_epochs = ", config.quantize.qat_epochs,
                       ": distilling while quantizing is not available for text students");
    if (!loaded) {
      models::ModelSpec teacher = config.teacher.model;
      config::resolve_model_shape(teacher, data.train.sample_shape(), data.train.num_classes,
                                  "teacher.model", data.train.vocab_size);
    }
  }
  for (size_t i = 0; i < config.distill.extra_teachers.size(); ++i) {
    const std::string& path = config.distill.extra_teachers[i];
    DISTILL_CHECK_HINT(fs::exists(path),
                       "train it first (`distill train --role teacher -o " + path +
                           "`), or correct the path (relative paths start at the working directory)",
                       "distill.extra_teachers[", i, "] '", path, "': no such file");
  }
  if (!config.distill.features.empty()) {
    const models::ClassifierPtr student =
        build_model_for_data(config.student, data, "student.model", config.seed);
    if (loaded)
      check_feature_terms(config.distill, *student, "student.model", *loaded->teacher.model,
                          teacher_where);
    else
      check_feature_terms(config.distill, *student, "student.model",
                          *build_model_for_data(config.teacher, data, "teacher.model", config.seed),
                          "teacher.model, trained by this run");
  }

  // What makes each stage; with --resume every finished stage must match it, checked before
  // any work, and only then does config.yaml describe this run.
  DISTILL_CHECK_HINT(!options.resume || !options.config_yaml.empty(),
                     "pass the effective YAML in PipelineOptions::config_yaml",
                     "--resume compares each finished stage with the config that made it, and "
                     "this run was given no config text");
  const std::vector<StageRecipe> recipes = stage_recipes(config, options.config_yaml, data);
  if (options.resume)
    for (const auto& stage : recipes) {
      const StageFiles files = stage_files(dir, stage.key);
      if (fs::exists(files.model) && fs::exists(files.training_record))
        check_finished_stage(stage.key, files, stage.recipe);
      else if (fs::exists(files.checkpoint))
        check_interrupted_stage(stage.key, files, stage.recipe);
    }
  if (!options.config_yaml.empty()) write_file_atomically(dir / "config.yaml", options.config_yaml);

  StageRun run;
  run.resume = options.resume;
  run.show_progress = options.show_progress;
  run.seed = config.seed;
  run.communicator = options.communicator;

  // 1. The teacher: loaded from a file, or trained on labels.
  TrainedModel teacher;
  const StageFiles teacher_files = stage_files(dir, "teacher");
  if (loaded) {
    teacher.saved = std::move(loaded->teacher);
    teacher.training.objective = "(loaded from " + config.teacher.load + ")";
  } else {
    teacher = run_or_reuse("teacher", teacher_files, options, recipe_of(recipes, "teacher"),
                           [&](const StageRun& r) { return train_on_labels(config.teacher, "teacher", data, r); },
                           run);
  }

  // 2. The baseline student, on labels alone; 3. the same student distilled from the teacher.
  const StageFiles baseline_files = stage_files(dir, "student_baseline");
  TrainedModel baseline = run_or_reuse(
      "student_baseline", baseline_files, options, recipe_of(recipes, "student_baseline"),
      [&](const StageRun& r) {
        return train_on_labels(config::baseline_student(config), "student-baseline", data, r);
      },
      run);
  const StageFiles distilled_files = stage_files(dir, "student_distilled");
  const fs::path cache_dir = soft_label_cache_dir(config.distill, dir);
  TrainedModel distilled = run_or_reuse(
      "student_distilled", distilled_files, options, recipe_of(recipes, "student_distilled"),
      [&](const StageRun& r) {
        return distill_from_teacher(config.student, config.distill, teacher.saved.model,
                                    "student-distilled", data, r, cache_dir);
      },
      run);

  // 4. Evaluation on the test set, agreement measured against the teacher's predictions. Speeds
  // are measured at the end, every model's rounds interleaved, so the table's ratios come from
  // the same spells of the machine.
  SpeedQueue speeds;
  const auto add_row = [&](report::ModelReport row, const models::ClassifierPtr& model) {
    speeds.add(report.models.size(), model, data.test.features);
    report.models.push_back(std::move(row));
  };
  at::Tensor teacher_predictions;
  add_row(make_report("teacher", "teacher", teacher, data, at::Tensor(), config, options,
                      config.teacher.load.empty() ? teacher_files.model
                                                  : fs::path(config.teacher.load),
                      &teacher_predictions),
          teacher.saved.model);
  add_row(make_report("student_baseline", "student (baseline)", baseline, data,
                      teacher_predictions, config, options, baseline_files.model),
          baseline.saved.model);
  add_row(make_report("student_distilled", "student (distilled)", distilled, data,
                      teacher_predictions, config, options, distilled_files.model),
          distilled.saved.model);
  const auto add_int8_row = [&](report::ModelReport row, const runtime::Int8Model& model) {
    speeds.add(report.models.size(), int8_inference_call(model, data.test, data.normalization,
                                                         config.evaluation.speed.throughput_batch),
               kInt8RuntimeEngine);
    report.models.push_back(std::move(row));
  };

  // 5. The distilled student in int8, run by the libtorch-free runtime.
  std::optional<runtime::Int8Model> post_training;
  if (config.quantize.enabled && data.train.has_token_ids()) {
    const fs::path int8_file = dir / "student_distilled.int8text";
    const runtime::Int8TextModel int8 = quantize_text_student(
        distilled.saved, data, config.data.text.encoding, config.quantize, int8_file);
    report::ModelReport r = evaluate_int8_text_model("student (int8)", int8, data.test,
                                                     teacher_predictions, accuracy_only(config),
                                                     int8_file, options.show_progress,
                                                     options.communicator.get());
    r.key = "student_int8";
    r.objective = distilled.training.objective + " + int8 " +
                  runtime::to_string(config.quantize.options.activations);
    speeds.add(report.models.size(),
               int8_text_inference_call(int8, data.test, config.evaluation.speed.throughput_batch),
               kInt8RuntimeEngine);
    report.models.push_back(std::move(r));
  } else if (config.quantize.enabled) {
    const fs::path int8_file = dir / "student_distilled.int8";
    const runtime::Int8Model& int8 = post_training.emplace(
        quantize_student(distilled.saved, data.train, config.quantize, int8_file));
    report::ModelReport r = evaluate_int8_model("student (int8)", int8, data.test,
                                                data.normalization, teacher_predictions,
                                                accuracy_only(config), int8_file,
                                                options.show_progress, options.communicator.get());
    r.key = "student_int8";
    r.objective = distilled.training.objective + " + int8 " +
                  runtime::to_string(config.quantize.options.activations);
    add_int8_row(std::move(r), int8);
  }

  // 6. Distill while quantizing: fake-quantized fine-tuning from the teacher (MLPs and CNNs).
  if (config.quantize.enabled && config.quantize.qat_epochs > 0 && !data.train.has_token_ids()) {
    const fs::path qat_file = dir / "student_int8_qat.int8";
    distillation::TrainingSummary qat_training;
    const runtime::Int8Model qat = distill_while_quantizing(
        distilled_files.model, teacher.saved.model, config, data, run, cache_dir, qat_file,
        &qat_training);
    report::ModelReport r = evaluate_int8_model("student (int8 QAT+KD)", qat, data.test,
                                                data.normalization, teacher_predictions,
                                                accuracy_only(config), qat_file,
                                                options.show_progress, options.communicator.get());
    r.key = "student_int8_qat";
    r.objective = qat_training.objective + " while quantizing (" +
                  std::to_string(config.quantize.qat_epochs) + " epochs)";
    r.training = qat_training;
    add_int8_row(std::move(r), qat);
    // Training can make the int8 model worse (a learning rate too high for it): say so when it
    // lands more than 0.2 points below post-training quantization on the validation split.
    if (data.validation.size() > 0) {
      const int64_t batch = config.evaluation.batch_size;
      const double trained = int8_accuracy(qat, data.validation, data.normalization, batch);
      const double post = int8_accuracy(*post_training, data.validation, data.normalization, batch);
      if (trained < post - 0.002)
        report.notes.push_back(fmt::format(
            "distill-while-quantizing ended below post-training quantization on the validation "
            "split ({:.4f} against {:.4f} on {} samples): student_distilled.int8 is the better "
            "file; a lower quantize.qat_lr (now {}) may help",
            trained, post, data.validation.size(), config.quantize.qat_lr));
    }
  }

  // 7. Pruning with distillation from the unpruned distilled student.
  if (config.prune.kind != config::PruneKind::kNone) {
    const StageFiles files = stage_files(dir, "student_pruned");
    TrainedModel pruned = run_or_reuse(
        "student_pruned", files, options, recipe_of(recipes, "student_pruned"),
        [&](const StageRun& r) {
          return prune_with_distillation(config, distilled.saved, data, r, cache_dir);
        },
        run);
    add_row(make_report("student_pruned", "student (pruned)", pruned, data, teacher_predictions,
                        config, options, files.model),
            pruned.saved.model);
  }

  // 8. Self-distillation: born-again generations and the teacher-free student.
  models::ClassifierPtr previous = teacher.saved.model;
  for (int64_t g = 1; g <= config.self_distill.generations; ++g) {
    const std::string key = "born_again_g" + std::to_string(g);
    const StageFiles files = stage_files(dir, key);
    TrainedModel generation = run_or_reuse(
        key, files, options, recipe_of(recipes, key),
        [&](const StageRun& r) {
          return distill_from_teacher(config.teacher, config.distill, previous, key, data, r,
                                      cache_dir);
        },
        run);
    add_row(make_report(key, "born-again gen " + std::to_string(g), generation, data,
                        teacher_predictions, config, options, files.model),
            generation.saved.model);
    previous = generation.saved.model;
  }
  if (config.self_distill.teacher_free) {
    const StageFiles files = stage_files(dir, "student_teacher_free");
    TrainedModel tf = run_or_reuse(
        "student_teacher_free", files, options, recipe_of(recipes, "student_teacher_free"),
        [&](const StageRun& r) {
          return distill_from_source(
              config.student, config.distill,
              std::make_shared<distillation::VirtualTeacher>(
                  data.train.num_classes, config.self_distill.virtual_confidence,
                  config.distill.loss.temperature),
              "student-teacher-free", data, r);
        },
        run);
    add_row(make_report("student_teacher_free", "student (teacher-free KD)", tf, data,
                        teacher_predictions, config, options, files.model),
            tf.saved.model);
  }

  // Speed is timed by rank 0 alone, once the others have finished (they would share its cores).
  if (options.communicator) options.communicator->barrier();
  if (config.evaluation.measure_speed && process_writes_files())
    speeds.measure_into(report, config.evaluation.speed, options.show_progress);

  report.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report::write_report_json(dir / "results.json", report);
  // The page is drawn from the file just written, so its figures are results.json's.
  if (process_writes_files())
    report::write_html_report(dir / "report.html", {report::read_run_directory(dir)});
  remove_written_file(dir / "checkpoints");
  return report;
}

}  // namespace distill::pipeline
