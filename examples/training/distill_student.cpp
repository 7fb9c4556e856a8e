// Distils a small MLP student from a larger MLP teacher on Fashion-MNIST with the distill
// library, quantizes it to int8 and compares the three — `distill run` in a program of your own.
// Usage: distill_student [OUTPUT_DIR] [key.path=value ...]   (overrides of the default config)
#include <algorithm>
#include <cstdio>
#include <vector>

#include "distill/distill.h"

int main(int argc, char** argv) try {
  using namespace distill;
  const std::filesystem::path out = argc > 1 ? argv[1] : "distill-example";
  const std::vector<std::string> overrides(argv + std::min(argc, 2), argv + argc);
  const config::PipelineConfig config = config::load_pipeline_config("", overrides).config;
  pipeline::apply_process_settings(config);  // threads and compute path, as the CLI sets them
  const data::PreparedData data = data::prepare_data(config.data, config.seed, nullptr);

  std::filesystem::create_directories(out);
  pipeline::StageRun run;
  run.model_path = out / "teacher.pt";
  run.show_progress = false;
  run.seed = config.seed;
  const pipeline::TrainedModel teacher = pipeline::train_on_labels(config.teacher, "teacher", data, run);
  run.model_path = out / "student.pt";
  const pipeline::TrainedModel student = pipeline::distill_from_teacher(
      config.student, config.distill, teacher.saved.model, "student", data, run,
      pipeline::soft_label_cache_dir(config.distill, out));
  const runtime::Int8Model int8 =
      pipeline::quantize_student(student.saved, data.train, config.quantize, out / "student.int8");

  at::Tensor teacher_predictions;
  const auto fp32_report = [&](const char* title, const pipeline::TrainedModel& m, at::Tensor* p) {
    return pipeline::evaluate_model(title, *m.saved.model, data.test, teacher_predictions,
                                    config.evaluation, false, p);
  };
  report::RunReport results;
  results.models.push_back(fp32_report("teacher", teacher, &teacher_predictions));
  results.models.push_back(fp32_report("student (distilled)", student, nullptr));
  results.models.push_back(pipeline::evaluate_int8_model("student (int8)", int8, data.test,
      data.normalization, teacher_predictions, config.evaluation, out / "student.int8", false));
  std::printf("%s", report::format_summary_table(results).c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
