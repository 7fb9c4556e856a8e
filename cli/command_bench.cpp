// `distill bench`: accuracy, bytes, batch-1 latency and batch-256 throughput of model files,
// fp32 (.pt, libtorch) or int8 (runtime files: .int8, and .int8text for text), on the config's
// test set. The models are timed
// together, in interleaved rounds (pipeline::SpeedQueue), so their ratios come from the same
// spells of the machine.
#include <ATen/ATen.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.h"
#include "distill/core/error.h"
#include "distill/data/data_source.h"
#include "distill/models/model_io.h"
#include "distill/pipeline/int8_stage.h"
#include "distill/pipeline/speed_queue.h"
#include "distill/pipeline/text_int8_stage.h"
#include "distill/pipeline/stages.h"
#include "distill/report/run_report.h"
#include "distill/runtime/int8_model_file.h"
#include "distill/runtime/int8_text_model.h"

namespace distill::cli {
namespace {

/// Whether the file starts with `magic` (8 bytes).
bool starts_with_magic(const std::string& path, const char* magic) {
  char head[8] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(head, sizeof head);
  return in.gcount() == 8 && std::equal(head, head + 8, magic);
}

}  // namespace

void register_bench_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::vector<std::string> models;
    std::string json;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "bench", "Accuracy, bytes, batch-1 latency and throughput of model files, fp32 (.pt) or "
               "int8 (.int8, .int8text), side by side on the config's test set");
  add_config_arguments(*command, args->config);
  command->add_option("models", args->models, "model files (fp32 .pt, int8 .int8 or .int8text)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--json", args->json, "also write the results as JSON to this file");
  command->callback([args] {
    LoadedConfig loaded = load_config(args->config);
    // Accuracy first, every model; then the speeds, the models' rounds interleaved.
    config::EvaluationConfig accuracy_only = loaded.config.evaluation;
    accuracy_only.measure_speed = false;
    const evaluation::SpeedOptions& speed = loaded.config.evaluation.speed;
    const bool text = loaded.config.data.source == data::DataSourceKind::kText;
    // Float data is read once; text is tokenized per model below.
    const data::Dataset raw_test = text ? data::Dataset{} : data::load_test_split(loaded.config.data);
    report::RunReport run;
    run.config_source = loaded.source;
    run.data_source = data::to_string(loaded.config.data.source);
    run.test_samples = raw_test.size();
    run.class_names = raw_test.class_names;  // text: set from the first model's test split
    pipeline::SpeedQueue speeds;
    for (size_t i = 0; i < args->models.size(); ++i) {
      const std::string& path = args->models[i];
      report::ModelReport r;
      if (starts_with_magic(path, runtime::kInt8TextModelMagic)) {
        DISTILL_CHECK_HINT(text, "bench it with a text config (data.source: text)", "'", path,
                           "' is an int8 text model but the config's data is not text");
        const runtime::Int8TextModel model = runtime::load_int8_text_model(path);
        data::check_text_row_length(loaded.config.data, {model.max_tokens}, path);
        const data::Dataset test = data::load_test_split(loaded.config.data, model.tokenizer_model);
        if (run.class_names.empty()) {
          run.test_samples = test.size();
          run.class_names = test.class_names;
        }
        r = pipeline::evaluate_int8_text_model(path, model, test, at::Tensor(), accuracy_only, path,
                                               !args->config.quiet, nullptr);
        speeds.add(i, pipeline::int8_text_inference_call(model, test, speed.throughput_batch),
                   kInt8RuntimeEngine);
      } else if (starts_with_magic(path, runtime::kInt8ModelMagic)) {
        DISTILL_CHECK_HINT(!text, "bench the text models (.pt, .int8text)", "'", path,
                           "' is an int8 image or tabular model but the config's data is text");
        const runtime::Int8Model model = runtime::load_int8_model(path);
        r = pipeline::evaluate_int8_model(path, model, raw_test, data::Normalization{}, at::Tensor(),
                                          accuracy_only, path, !args->config.quiet);
        speeds.add(i,
                   pipeline::int8_inference_call(model, raw_test, data::Normalization{},
                                                 speed.throughput_batch),
                   kInt8RuntimeEngine);
      } else {
        const models::SavedModel saved = models::load_model(path);
        // Text: each model's own tokenizer makes its token ids, in rows of the model's length.
        data::check_text_row_length(loaded.config.data, saved.model->spec().input_shape, path);
        data::Dataset test = saved.tokenizer_model.empty()
                                 ? raw_test
                                 : data::load_test_split(loaded.config.data, saved.tokenizer_model);
        test.features = saved.normalization.apply(test.features);
        if (text && run.class_names.empty()) {
          run.test_samples = test.size();
          run.class_names = test.class_names;
        }
        r = pipeline::evaluate_model(path, *saved.model, test, at::Tensor(), accuracy_only,
                                     !args->config.quiet);
        r.size.bytes = static_cast<int64_t>(std::filesystem::file_size(path));
        r.file = path;
        speeds.add(i, saved.model, test.features);
      }
      r.key = "model" + std::to_string(i + 1);
      run.models.push_back(r);
    }
    speeds.measure_into(run, speed, !args->config.quiet);
    std::printf("%s", report::format_summary_table(run).c_str());
    if (!args->json.empty()) {
      report::write_report_json(args->json, run);
      std::printf("results: %s\n", args->json.c_str());
    }
  });
}

}  // namespace distill::cli
