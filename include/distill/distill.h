// distill::distill — training, distillation, compression and evaluation on libtorch: what the
// `distill` program does, as a library (it links distill::runtime too). Link the target
// distill::distill. The stages one by one: examples/training/distill_student.cpp; the whole
// pipeline with its files and report: pipeline::run_pipeline.
#pragma once

#include "distill/runtime.h"                           // IWYU pragma: export

#include "distill/config/loaded_config.h"              // IWYU pragma: export
#include "distill/config/pipeline_config.h"            // IWYU pragma: export
#include "distill/data/data_source.h"                  // IWYU pragma: export
#include "distill/data/dataset.h"                      // IWYU pragma: export
#include "distill/distillation/kd_loss.h"              // IWYU pragma: export
#include "distill/distillation/objective.h"            // IWYU pragma: export
#include "distill/distillation/trainer.h"              // IWYU pragma: export
#include "distill/evaluation/metrics.h"                // IWYU pragma: export
#include "distill/evaluation/speed.h"                  // IWYU pragma: export
#include "distill/models/model_family.h"               // IWYU pragma: export
#include "distill/models/model_io.h"                   // IWYU pragma: export
#include "distill/models/model_spec.h"                 // IWYU pragma: export
#include "distill/models/predict.h"                    // IWYU pragma: export
#include "distill/pipeline/int8_stage.h"               // IWYU pragma: export
#include "distill/pipeline/command_policy.h"         // IWYU pragma: export
#include "distill/pipeline/pruning_stage.h"            // IWYU pragma: export
#include "distill/pipeline/run_pipeline.h"             // IWYU pragma: export
#include "distill/pipeline/seed_runs.h"                // IWYU pragma: export
#include "distill/pipeline/stages.h"                   // IWYU pragma: export
#include "distill/pipeline/teacher_file.h"             // IWYU pragma: export
#include "distill/pipeline/text_int8_stage.h"          // IWYU pragma: export
#include "distill/report/html_report.h"                // IWYU pragma: export
#include "distill/report/run_report.h"                 // IWYU pragma: export
