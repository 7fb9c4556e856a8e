// The virtual teacher's distribution.
#include "distill/distillation/virtual_teacher.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "distill/core/error.h"

namespace distill::distillation {

VirtualTeacher::VirtualTeacher(int64_t num_classes, double confidence, double temperature)
    : num_classes_(num_classes), confidence_(confidence), temperature_(temperature) {
  DISTILL_CHECK(num_classes_ >= 2, "a virtual teacher needs >= 2 classes, got ", num_classes_);
  DISTILL_CHECK(confidence_ > 1.0 / static_cast<double>(num_classes_) && confidence_ < 1.0,
                "virtual teacher confidence = ", confidence_, ": expected a value in (1/",
                num_classes_, ", 1) so the true class stays the most likely");
  DISTILL_CHECK(temperature_ > 0 && std::isfinite(temperature_), "temperature must be > 0, got ",
                temperature_);
}

at::Tensor VirtualTeacher::logits(const data::Batch& batch) {
  const double rest = (1.0 - confidence_) / static_cast<double>(num_classes_ - 1);
  at::Tensor p = at::full({batch.labels.size(0), num_classes_}, rest, at::kFloat);
  p.scatter_(1, batch.labels.view({-1, 1}), confidence_);
  return temperature_ * p.log();
}

std::string VirtualTeacher::describe() const {
  return "virtual teacher (p_true = " + std::to_string(confidence_).substr(0, 4) + ")";
}

}  // namespace distill::distillation
