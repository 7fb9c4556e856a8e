// The results record: JSON fields and the summary table.
#include "distill/report/run_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace distill::report {
namespace {

ModelReport model(const std::string& key, const std::string& title, double accuracy,
                  int64_t parameters) {
  ModelReport m;
  m.key = key;
  m.title = title;
  m.size = {parameters, parameters * 4};
  m.test.samples = 100;
  m.test.accuracy = accuracy;
  m.test.per_class_accuracy = {accuracy, accuracy};
  m.test.per_class_count = {50, 50};
  m.test.confusion = {{45, 5}, {5, 45}};
  return m;
}

RunReport sample_report() {
  RunReport r;
  r.seed = 3;
  r.models.push_back(model("teacher", "teacher", 0.90, 1000));
  r.models.push_back(model("student_baseline", "student (baseline)", 0.85, 100));
  ModelReport distilled = model("student_distilled", "student (distilled)", 0.87, 100);
  distilled.test.agreement = 0.95;
  distilled.speed = evaluation::SpeedResult{12.5, 14.0, 50000.0, 256};
  distillation::TrainingSummary training;
  training.objective = "kd(T=4, alpha=0.1)";
  training.seconds = 7.5;
  training.history.push_back({1, 0.5, 0.8, 0.82, 0.05, 7.5});
  distilled.training = training;
  r.models.push_back(distilled);
  return r;
}

TEST(RunReport, JsonHoldsEveryModelAndTheGain) {
  const nlohmann::json j = nlohmann::json::parse(report_to_json(sample_report()));
  EXPECT_EQ(j["seed"], 3);
  EXPECT_DOUBLE_EQ(j["models"]["teacher"]["test"]["accuracy"].get<double>(), 0.90);
  EXPECT_TRUE(j["models"]["teacher"]["test"]["agreement_with_teacher"].is_null());
  EXPECT_DOUBLE_EQ(j["models"]["student_distilled"]["test"]["agreement_with_teacher"].get<double>(), 0.95);
  EXPECT_EQ(j["models"]["student_distilled"]["parameters"], 100);
  EXPECT_DOUBLE_EQ(j["models"]["student_distilled"]["speed"]["latency_us_batch1_median"].get<double>(), 12.5);
  EXPECT_EQ(j["models"]["student_distilled"]["training"]["history"].size(), 1u);
  EXPECT_EQ(j["model_order"], nlohmann::json({"teacher", "student_baseline", "student_distilled"}))
      << "the models in the order the run made them (a JSON object keeps none)";
  EXPECT_NEAR(j["distillation_gain_points"].get<double>(), 2.0, 1e-9);
}

TEST(RunReport, TableHasARowPerModelAndTheGainLine) {
  const std::string table = format_summary_table(sample_report());
  EXPECT_NE(table.find("student (distilled)"), std::string::npos);
  EXPECT_NE(table.find("0.9500"), std::string::npos);
  EXPECT_NE(table.find("distillation gain: +2.00 points"), std::string::npos) << table;
  EXPECT_NE(table.find("10.0x fewer parameters"), std::string::npos) << table;
}

TEST(RunReport, TheTableSaysWhichEngineTimedWhichRows) {
  RunReport r = sample_report();
  EXPECT_EQ(format_summary_table(r).find("speeds timed on"), std::string::npos)
      << "no engine named, no line";
  r.models[0].speed = evaluation::SpeedResult{1, 1, 1, 256, kLibtorchEngine};
  r.models[1].speed = evaluation::SpeedResult{1, 1, 1, 256, kFoldedCnnEngine};
  r.models[2].speed->engine = kFoldedCnnEngine;
  EXPECT_NE(format_summary_table(r).find(
                "\nspeeds timed on: libtorch (teacher); fp32 oneDNN, batch norm folded (student "
                "(baseline), student (distilled))\n"),
            std::string::npos)
      << format_summary_table(r);
  EXPECT_EQ(nlohmann::json::parse(report_to_json(r))["models"]["teacher"]["speed"]["engine"],
            "libtorch");
}

TEST(RunReport, NotesFollowTheTableAndGoToJson) {
  RunReport r = sample_report();
  EXPECT_EQ(nlohmann::json::parse(report_to_json(r)).at("notes"), nlohmann::json::array());
  r.notes.push_back("stage x did not apply");
  const std::string table = format_summary_table(r);
  EXPECT_NE(table.find("\nnote: stage x did not apply\n"), std::string::npos) << table;
  EXPECT_EQ(nlohmann::json::parse(report_to_json(r)).at("notes"),
            nlohmann::json::array({"stage x did not apply"}));
}

}  // namespace
}  // namespace distill::report
