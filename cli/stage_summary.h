// The lines a single-stage command prints when it ends.
#pragma once

#include <cstdio>
#include <string>

#include "distill/report/run_report.h"

namespace distill::cli {

inline void print_stage_summary(const report::ModelReport& model, const std::string& file) {
  std::printf("%s: %s, %lld parameters, test accuracy %.4f", model.title.c_str(),
              model.architecture.c_str(), static_cast<long long>(model.size.parameters),
              model.test.accuracy);
  if (model.test.agreement) std::printf(", agreement with teacher %.4f", *model.test.agreement);
  if (model.training) std::printf(", trained in %.1f s", model.training->seconds);
  std::printf("\nsaved: %s\n", file.c_str());
}

}  // namespace distill::cli
