// `distill quantize`: a model file (MLP, ResNet- or MobileNet-style CNN, or a text student: bag
// of embeddings, text CNN or BiLSTM) to an int8 file for the libtorch-free runtime, with the fp32
// and int8 test accuracy side by side.
#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>

#include "commands.h"
#include "distill/data/data_source.h"
#include "distill/models/model_io.h"
#include "distill/pipeline/int8_stage.h"
#include "distill/pipeline/command_policy.h"
#include "distill/pipeline/stages.h"
#include "distill/pipeline/text_int8_stage.h"
#include "distill/report/run_report.h"

namespace distill::cli {

void register_quantize_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::string model;
    std::string out;
    std::string teacher;
    std::string json;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "quantize", "Quantize a model file (MLP, ResNet/MobileNet CNN with batch norm folded, or "
                  "a text student: bag of embeddings, text CNN, BiLSTM) to int8 for the runtime "
                  "(quantize: section of the config: static or dynamic activations, observer, "
                  "calibration samples) and compare fp32 and int8 on the test set");
  add_config_arguments(*command, args->config);
  command->add_option("-m,--model", args->model, "fp32 model file (from distill train/distill)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--out", args->out, "int8 file to write (e.g. student.int8)")->required();
  command->add_option("-t,--teacher", args->teacher,
                      "teacher model file: distill while quantizing (quantize.qat_epochs epochs "
                      "of fake-quantized training from this teacher at quantize.qat_temperature "
                      "and qat_alpha) instead of post-training quantization alone")
      ->check(CLI::ExistingFile);
  command->add_option("--json", args->json, "also write both evaluations as JSON to this file");
  command->callback([args] {
    LoadedConfig loaded = load_config(args->config);
    const config::PipelineConfig& config = loaded.config;
    const models::SavedModel saved = models::load_model(args->model);
    const data::PreparedData data = data::prepare_data(config.data, config.seed, &saved.normalization,
                                                       saved.tokenizer_model);
    // The int8 file, and how the runtime evaluates it given the fp32 model's predictions.
    std::function<report::ModelReport(const at::Tensor&)> evaluate_int8;
    std::string description;
    if (data.train.has_token_ids()) {
      // Text: the student to an int8 text file, tokenizer included.
      auto int8 = std::make_shared<runtime::Int8TextModel>(pipeline::quantize_text_student(
          saved, data, config.data.text.encoding, config.quantize, args->out));
      description = int8->description;
      evaluate_int8 = [&, int8](const at::Tensor& fp32_predictions) {
        return pipeline::evaluate_int8_text_model("int8", *int8, data.test, fp32_predictions,
                                                  config.evaluation, args->out,
                                                  !args->config.quiet);
      };
    } else {
      auto int8 = std::make_shared<runtime::Int8Model>();
      if (args->teacher.empty() || config.quantize.qat_epochs == 0) {
        *int8 = pipeline::quantize_student(saved, data.train, config.quantize, args->out);
      } else {
        const models::SavedModel teacher = models::load_model(args->teacher);
        pipeline::check_teacher_matches_data(*teacher.model, data, "--teacher " + args->teacher);
        pipeline::StageRun run;
        run.show_progress = !args->config.quiet;
        run.seed = config.seed;
        const std::filesystem::path cache_dir = pipeline::soft_label_cache_dir(
            config.distill, std::filesystem::absolute(args->out).parent_path());
        *int8 = pipeline::distill_while_quantizing(args->model, teacher.model, config, data, run,
                                                   cache_dir, args->out, nullptr);
      }
      description = int8->description;
      evaluate_int8 = [&, int8](const at::Tensor& fp32_predictions) {
        return pipeline::evaluate_int8_model("int8", *int8, data.test, data.normalization,
                                             fp32_predictions, config.evaluation, args->out,
                                             !args->config.quiet);
      };
    }
    std::printf("wrote %s: %s\n", args->out.c_str(), description.c_str());

    report::RunReport run;
    run.config_source = loaded.source;
    run.data_source = data::to_string(config.data.source);
    run.test_samples = data.test.size();
    run.class_names = data.test.class_names;
    at::Tensor fp32_predictions;
    report::ModelReport fp32 =
        pipeline::evaluate_model("fp32", *saved.model, data.test, at::Tensor(), config.evaluation,
                                 !args->config.quiet, &fp32_predictions);
    fp32.key = "fp32";
    fp32.file = args->model;
    report::ModelReport quantized = evaluate_int8(fp32_predictions);
    quantized.key = "int8";
    run.models = {fp32, quantized};
    std::printf("%s", report::format_summary_table(run).c_str());
    std::printf("int8 agrees with fp32 on %.2f%% of the test set\n",
                100.0 * quantized.test.agreement.value_or(0.0));
    if (!args->json.empty()) {
      report::write_report_json(args->json, run);
      std::printf("results: %s\n", args->json.c_str());
    }
  });
}

}  // namespace distill::cli
