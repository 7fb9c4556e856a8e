// `distill export`: the deployment step. Quantizes a model file (post-training, the config's
// quantize: section) into the runtime's int8 file, then reloads the written file from disk and
// checks it against the fp32 model on held-out training images — without touching the test
// set (that is `distill quantize` and `distill bench`).
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "distill/core/error.h"
#include "distill/data/data_source.h"
#include "distill/models/model_io.h"
#include "distill/models/model_size.h"
#include "distill/models/predict.h"
#include "distill/pipeline/int8_stage.h"
#include "distill/runtime/int8_classifier.h"
#include "distill/runtime/int8_model_file.h"

namespace distill::cli {
namespace {

/// Images the check runs on: the last ones of the training split, away from the first
/// quantize.calibration_samples that calibrated the ranges when the split is large enough.
constexpr int64_t kCheckSamples = 1000;

}  // namespace

void register_export_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::string model;
    std::string out;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "export", "Write the deployable int8 file of a model (MLP, ResNet or MobileNet) for the "
                "libtorch-free runtime, then reload it and check it against the fp32 model");
  add_config_arguments(*command, args->config);
  command->add_option("-m,--model", args->model, "fp32 model file (from distill train/distill)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--out", args->out, "int8 file to write (e.g. student.int8)")->required();
  command->callback([args] {
    LoadedConfig loaded = load_config(args->config);
    const config::PipelineConfig& config = loaded.config;
    const models::SavedModel saved = models::load_model(args->model);
    const data::PreparedData data =
        data::prepare_data(config.data, config.seed, &saved.normalization);
    pipeline::quantize_student(saved, data.train, config.quantize, args->out);

    // What a deployment loads: the file on disk, run by the runtime.
    runtime::Int8Classifier classifier(runtime::load_int8_model(args->out));
    const int64_t count = std::min(kCheckSamples, data.train.size());
    DISTILL_CHECK(count > 0, "the config's training split is empty: export calibrates on it");
    const at::Tensor features = data.train.features.narrow(0, data.train.size() - count, count);
    const at::Tensor fp32 =
        models::predict_logits(*saved.model, features, 256).argmax(1).contiguous();
    const at::Tensor raw = data.normalization.invert(features).reshape({count, -1}).contiguous();
    const std::vector<int64_t> int8 = classifier.predict(raw.data_ptr<float>(), count);
    int64_t same = 0;
    for (int64_t i = 0; i < count; ++i) same += int8[i] == fp32.data_ptr<int64_t>()[i];

    const auto int8_bytes = std::filesystem::file_size(args->out);
    const int64_t fp32_bytes = models::measure_model_size(*saved.model).bytes;
    std::printf("exported %s: %s\n", args->out.c_str(), classifier.model().description.c_str());
    std::printf("%lld bytes, %.1fx smaller than the fp32 weights (%lld bytes); the reloaded file "
                "agrees with fp32 on %.2f%% of %lld held-out training images\n",
                static_cast<long long>(int8_bytes),
                static_cast<double>(fp32_bytes) / static_cast<double>(int8_bytes),
                static_cast<long long>(fp32_bytes), 100.0 * same / count,
                static_cast<long long>(count));
  });
}

}  // namespace distill::cli
