// `distill evaluate`: test metrics, size and speed of a saved model.
#include <ATen/ATen.h>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "distill/core/atomic_file.h"
#include "distill/data/data_source.h"
#include "distill/models/model_io.h"
#include "distill/pipeline/stages.h"
#include "distill/report/run_report.h"

namespace distill::cli {

void register_evaluate_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::string model;
    std::string teacher;
    std::string json;
    bool no_speed = false;
    bool details = false;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "evaluate", "Evaluate a saved model on the config's test set: accuracy, per-class accuracy, "
                  "NLL, agreement with a teacher, size, latency and throughput");
  add_config_arguments(*command, args->config);
  command->add_option("-m,--model", args->model, "model file")->required()->check(CLI::ExistingFile);
  command->add_option("-t,--teacher", args->teacher, "teacher model file, for the agreement column")
      ->check(CLI::ExistingFile);
  command->add_option("--json", args->json, "also write the results as JSON to this file");
  command->add_flag("--no-speed", args->no_speed, "skip the latency and throughput measurement");
  command->add_flag("--details", args->details, "print per-class accuracy and the confusion matrix");
  command->callback([args] {
    LoadedConfig loaded = load_config(args->config);
    if (args->no_speed) loaded.config.evaluation.measure_speed = false;
    const config::EvaluationConfig& evaluation = loaded.config.evaluation;
    const models::SavedModel saved = models::load_model(args->model);
    // Text is tokenized by the model's own tokenizer, into rows of the model's length.
    data::check_text_row_length(loaded.config.data, saved.model->spec().input_shape, args->model);
    data::Dataset test = data::load_test_split(loaded.config.data, saved.tokenizer_model);

    report::RunReport run;
    run.config_source = loaded.source;
    run.data_source = data::to_string(loaded.config.data.source);
    run.test_samples = test.size();
    run.class_names = test.class_names;
    at::Tensor teacher_predictions;
    if (!args->teacher.empty()) {
      const models::SavedModel teacher = models::load_model(args->teacher);
      data::check_text_row_length(loaded.config.data, teacher.model->spec().input_shape,
                                  args->teacher);
      data::Dataset teacher_view =
          teacher.tokenizer_model == saved.tokenizer_model
              ? test
              : data::load_test_split(loaded.config.data, teacher.tokenizer_model);
      teacher_view.features = teacher.normalization.apply(teacher_view.features);
      report::ModelReport t =
          pipeline::evaluate_model("teacher", *teacher.model, teacher_view, at::Tensor(),
                                   evaluation, !args->config.quiet, &teacher_predictions);
      t.key = "teacher";
      t.file = args->teacher;
      run.models.push_back(t);
    }
    test.features = saved.normalization.apply(test.features);
    report::ModelReport m = pipeline::evaluate_model(saved.role.empty() ? "model" : saved.role,
                                                     *saved.model, test, teacher_predictions,
                                                     evaluation, !args->config.quiet);
    m.key = "model";
    m.file = args->model;
    run.models.push_back(m);

    std::printf("%s", report::format_summary_table(run).c_str());
    if (args->details) std::printf("\n%s", report::format_model_details(m, run.class_names).c_str());
    if (!args->json.empty()) {
      report::write_report_json(args->json, run);
      std::printf("results: %s\n", args->json.c_str());
    }
  });
}

}  // namespace distill::cli
