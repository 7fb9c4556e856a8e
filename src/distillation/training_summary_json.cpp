// JSON conversion of EpochRecord and TrainingSummary.
#include "distill/distillation/training_summary_json.h"

#include <nlohmann/json.hpp>

namespace distill::distillation {

void to_json(nlohmann::json& j, const EpochRecord& e) {
  j = {{"epoch", e.epoch},
       {"train_loss", e.train_loss},
       {"train_accuracy", e.train_accuracy},
       {"validation_accuracy", e.validation_accuracy},
       {"learning_rate", e.learning_rate},
       {"seconds", e.seconds}};
}

void from_json(const nlohmann::json& j, EpochRecord& e) {
  j.at("epoch").get_to(e.epoch);
  j.at("train_loss").get_to(e.train_loss);
  j.at("train_accuracy").get_to(e.train_accuracy);
  j.at("validation_accuracy").get_to(e.validation_accuracy);
  j.at("learning_rate").get_to(e.learning_rate);
  j.at("seconds").get_to(e.seconds);
}

void to_json(nlohmann::json& j, const TrainingSummary& t) {
  j = {{"objective", t.objective},
       {"epochs_run", t.history.size()},
       {"best_epoch", t.best_epoch},
       {"best_validation_accuracy", t.best_validation_accuracy},
       {"stopped_early", t.stopped_early},
       {"resumed_after_epoch", t.resumed_after_epoch},
       {"seconds", t.seconds},
       {"soft_label_seconds", t.soft_label_seconds},
       {"history", t.history}};
  if (!t.teacher_engine.empty()) j["teacher_engine"] = t.teacher_engine;
  if (t.teacher_drift)
    j["teacher_drift"] = {{"samples", t.teacher_drift->samples},
                          {"temperature", t.teacher_drift->temperature},
                          {"mean_kl", t.teacher_drift->mean_kl},
                          {"top1_agreement", t.teacher_drift->top1_agreement}};
}

void from_json(const nlohmann::json& j, TrainingSummary& t) {
  j.at("objective").get_to(t.objective);
  j.at("best_epoch").get_to(t.best_epoch);
  j.at("best_validation_accuracy").get_to(t.best_validation_accuracy);
  j.at("stopped_early").get_to(t.stopped_early);
  j.at("resumed_after_epoch").get_to(t.resumed_after_epoch);
  j.at("seconds").get_to(t.seconds);
  t.soft_label_seconds = j.value("soft_label_seconds", 0.0);  // absent in older records
  j.at("history").get_to(t.history);
  t.teacher_engine = j.value("teacher_engine", std::string());
  if (j.contains("teacher_drift")) {
    const nlohmann::json& d = j.at("teacher_drift");
    TeacherDrift drift;
    d.at("samples").get_to(drift.samples);
    d.at("temperature").get_to(drift.temperature);
    d.at("mean_kl").get_to(drift.mean_kl);
    d.at("top1_agreement").get_to(drift.top1_agreement);
    t.teacher_drift = drift;
  }
}

}  // namespace distill::distillation
