// `distill describe`: what a model file or a config's model is.
#include <ATen/ATen.h>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "distill/core/error.h"
#include "distill/data/data_source.h"
#include "distill/models/model_io.h"
#include "distill/models/model_size.h"

namespace distill::cli {
namespace {

void print_model(const models::Classifier& model, const std::string& role,
                 const data::Normalization* normalization) {
  const models::ModelSize size = models::measure_model_size(model);
  std::printf("architecture: %s\n", models::describe_model_spec(model.spec()).c_str());
  if (!role.empty()) std::printf("role:         %s\n", role.c_str());
  std::printf("input shape:  %s\n", c10::str(at::IntArrayRef(model.spec().input_shape)).c_str());
  std::printf("classes:      %lld\n", static_cast<long long>(model.spec().num_classes));
  std::printf("parameters:   %lld\n", static_cast<long long>(size.parameters));
  std::printf("bytes:        %lld (fp32 weights and buffers)\n", static_cast<long long>(size.bytes));
  std::string taps;
  for (const auto& name : model.tap_names()) taps += (taps.empty() ? "" : ", ") + name;
  std::printf("feature taps: %s\n", taps.c_str());
  if (normalization && !normalization->empty()) {
    std::printf("input normalisation: mean %s, stddev %s\n",
                c10::str(at::ArrayRef<float>(normalization->mean)).c_str(),
                c10::str(at::ArrayRef<float>(normalization->stddev)).c_str());
  }
  std::printf("layers:\n");
  for (const auto& item : model.named_parameters())
    std::printf("  %-40s %s\n", item.key().c_str(), c10::str(item.value().sizes()).c_str());
}

}  // namespace

void register_describe_command(CLI::App& app) {
  struct Arguments {
    ConfigArguments config;
    std::string model;
    std::string role;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "describe", "Describe a model file, or the teacher or student a config defines");
  add_config_arguments(*command, args->config);
  command->add_option("-m,--model", args->model, "model file")->check(CLI::ExistingFile);
  command->add_option("-r,--role", args->role, "describe the config's teacher or student")
      ->check(CLI::IsMember({"teacher", "student"}));
  command->callback([args] {
    DISTILL_CHECK_HINT(args->model.empty() != args->role.empty(),
                       "distill describe --model FILE, or distill describe --role student",
                       "describe needs exactly one of --model and --role");
    if (!args->model.empty()) {
      const models::SavedModel saved = models::load_model(args->model);
      print_model(*saved.model, saved.role, &saved.normalization);
      return;
    }
    const LoadedConfig loaded = load_config(args->config);
    const config::ModelStageConfig& stage =
        args->role == "teacher" ? loaded.config.teacher : loaded.config.student;
    // Input shape and class count come from the data, as in a run.
    // (Text: the tokenizer is trained, or taken from its cache, for the vocabulary size.)
    const data::Dataset test =
        loaded.config.data.source == data::DataSourceKind::kText
            ? data::prepare_data(loaded.config.data, loaded.config.seed).test
            : data::load_test_split(loaded.config.data);
    models::ModelSpec spec = stage.model;
    config::resolve_model_shape(spec, test.sample_shape(), test.num_classes, args->role + ".model",
                                test.vocab_size);
    print_model(*models::build_classifier(spec), args->role, nullptr);
  });
}

}  // namespace distill::cli
