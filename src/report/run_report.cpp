// JSON and text rendering of run results.
#include "distill/report/run_report.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "distill/core/atomic_file.h"
#include "distill/distillation/training_summary_json.h"

namespace distill::report {
namespace {

nlohmann::json metrics_json(const evaluation::ClassificationMetrics& m) {
  nlohmann::json j = {{"samples", m.samples},
                      {"accuracy", m.accuracy},
                      {"macro_f1", m.macro_f1},
                      {"mean_nll", m.mean_nll},
                      {"per_class_accuracy", m.per_class_accuracy},
                      {"per_class_precision", m.per_class_precision},
                      {"per_class_f1", m.per_class_f1},
                      {"per_class_count", m.per_class_count},
                      {"confusion", m.confusion}};
  j["agreement_with_teacher"] = m.agreement ? nlohmann::json(*m.agreement) : nlohmann::json();
  return j;
}

nlohmann::json model_json(const ModelReport& m) {
  nlohmann::json j = {{"title", m.title},
                      {"architecture", m.architecture},
                      {"objective", m.objective},
                      {"file", m.file},
                      {"parameters", m.size.parameters},
                      {"bytes", m.size.bytes},
                      {"test", metrics_json(m.test)}};
  if (m.speed) {
    j["speed"] = {{"latency_us_batch1_median", m.speed->latency_us_median},
                  {"latency_us_batch1_p90", m.speed->latency_us_p90},
                  {"throughput_per_s", m.speed->throughput_per_s},
                  {"throughput_batch", m.speed->throughput_batch},
                  {"engine", m.speed->engine}};
  }
  j["training"] = m.training ? nlohmann::json(*m.training) : nlohmann::json();
  return j;
}

std::string human_bytes(int64_t bytes) {
  if (bytes >= 1 << 20) return fmt::format("{:.2f} MiB", bytes / 1048576.0);
  if (bytes >= 1 << 10) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  return fmt::format("{} B", bytes);
}

}  // namespace

const ModelReport* RunReport::find(const std::string& key) const {
  for (const auto& m : models)
    if (m.key == key) return &m;
  return nullptr;
}

std::string report_to_json(const RunReport& report) {
  nlohmann::json models = nlohmann::json::object();
  nlohmann::json model_order = nlohmann::json::array();  // JSON objects keep no order
  for (const auto& m : report.models) {
    models[m.key] = model_json(m);
    model_order.push_back(m.key);
  }
  nlohmann::json j = {{"config_source", report.config_source},
                      {"seed", report.seed},
                      {"threads", report.threads},
                      {"data",
                       {{"source", report.data_source},
                        {"train_samples", report.train_samples},
                        {"validation_samples", report.validation_samples},
                        {"test_samples", report.test_samples},
                        {"class_names", report.class_names}}},
                      {"models", models},
                      {"model_order", model_order},
                      {"notes", report.notes},
                      {"total_seconds", report.total_seconds}};
  const ModelReport* baseline = report.find("student_baseline");
  const ModelReport* distilled = report.find("student_distilled");
  if (baseline && distilled)
    j["distillation_gain_points"] = 100.0 * (distilled->test.accuracy - baseline->test.accuracy);
  return j.dump(2) + "\n";
}

void write_report_json(const std::filesystem::path& path, const RunReport& report) {
  write_file_atomically(path, report_to_json(report));
}

std::string format_summary_table(const RunReport& report) {
  std::string out = fmt::format("{:<22} {:>10} {:>11} {:>9} {:>8} {:>9} {:>7} {:>11} {:>12} {:>9}\n",
                                "model", "params", "size", "test acc", "macro F1", "agree", "NLL",
                                "lat b1 us", "thru b256/s", "train s");
  out += std::string(117, '-') + "\n";
  for (const auto& m : report.models) {
    const std::string agreement = m.test.agreement ? fmt::format("{:.4f}", *m.test.agreement) : "-";
    const std::string latency = m.speed ? fmt::format("{:.1f}", m.speed->latency_us_median) : "-";
    const std::string throughput = m.speed ? fmt::format("{:.0f}", m.speed->throughput_per_s) : "-";
    const std::string seconds = m.training ? fmt::format("{:.1f}", m.training->seconds) : "-";
    out += fmt::format("{:<22} {:>10} {:>11} {:>9.4f} {:>8.4f} {:>9} {:>7.4f} {:>11} {:>12} {:>9}\n",
                       m.title, m.size.parameters, human_bytes(m.size.bytes), m.test.accuracy,
                       m.test.macro_f1, agreement, m.test.mean_nll, latency, throughput, seconds);
  }
  const ModelReport* teacher = report.find("teacher");
  const ModelReport* baseline = report.find("student_baseline");
  const ModelReport* distilled = report.find("student_distilled");
  if (baseline && distilled) {
    out += fmt::format("\ndistillation gain: {:+.2f} points over the baseline student",
                       100.0 * (distilled->test.accuracy - baseline->test.accuracy));
    if (teacher) {
      const double ratio = static_cast<double>(teacher->size.parameters) /
                           static_cast<double>(distilled->size.parameters);
      // Text students often hold more (embedding) parameters than their teacher, yet run faster.
      out += fmt::format("; the student keeps {:.1f}% of the teacher's accuracy with {:.1f}x {} "
                         "parameters",
                         100.0 * distilled->test.accuracy / teacher->test.accuracy,
                         ratio >= 1 ? ratio : 1.0 / ratio, ratio >= 1 ? "fewer" : "more");
    }
    out += "\n";
  }
  // Which engine timed which rows, in the rows' order, so that fp32 and int8 speeds are read
  // for what they are (a CNN's fp32 rows run folded on oneDNN, not libtorch).
  std::vector<std::pair<std::string, std::string>> engines;  // engine, its rows' titles
  for (const auto& m : report.models) {
    if (!m.speed || m.speed->engine.empty()) continue;
    auto found = std::find_if(engines.begin(), engines.end(),
                              [&](const auto& e) { return e.first == m.speed->engine; });
    if (found == engines.end())
      engines.emplace_back(m.speed->engine, m.title);
    else
      found->second += ", " + m.title;
  }
  if (!engines.empty()) {
    out += "speeds timed on:";
    for (size_t i = 0; i < engines.size(); ++i)
      out += fmt::format("{} {} ({})", i == 0 ? "" : ";", engines[i].first, engines[i].second);
    out += "\n";
  }
  for (const std::string& note : report.notes) out += "note: " + note + "\n";
  return out;
}

std::string format_model_details(const ModelReport& model,
                                 const std::vector<std::string>& class_names) {
  std::string out = fmt::format("{} — {}\nmacro F1 {:.4f} (the mean over classes of per-class F1)\n",
                                model.title, model.architecture, model.test.macro_f1);
  const size_t k = model.test.per_class_accuracy.size();
  for (size_t c = 0; c < k; ++c) {
    const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
    out += fmt::format("  {:<14} n {:>5}  recall {:.4f}  precision {:.4f}  F1 {:.4f}", name,
                       model.test.per_class_count[c], model.test.per_class_accuracy[c],
                       model.test.per_class_precision[c], model.test.per_class_f1[c]);
    // The confusion row fits a terminal for up to 20 classes; the JSON always has it.
    if (k <= 20) {
      out += "  confusion";
      for (size_t p = 0; p < k; ++p) out += fmt::format(" {:>5}", model.test.confusion[c][p]);
    }
    out += "\n";
  }
  return out;
}

}  // namespace distill::report
