// JSON conversion of training records, shared by checkpoints, stage records and reports.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "distill/distillation/trainer.h"

namespace distill::distillation {

// Found by nlohmann::json through argument-dependent lookup: json j = summary; j.get<...>().
void to_json(nlohmann::json& j, const EpochRecord& record);
void from_json(const nlohmann::json& j, EpochRecord& record);
void to_json(nlohmann::json& j, const TrainingSummary& summary);
void from_json(const nlohmann::json& j, TrainingSummary& summary);

}  // namespace distill::distillation
