// Seed statistics as JSON, the one way seeds.json and sweep.json write them (private to
// src/pipeline).
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>

#include "distill/evaluation/seed_statistics.h"

namespace distill::pipeline {

inline nlohmann::json summary_json(const evaluation::SampleSummary& s) {
  return {{"count", s.count}, {"mean", s.mean}, {"stddev", s.stddev}};
}

/// A paired comparison; an infinite t (every difference equal) is written as null.
inline nlohmann::json paired_json(const evaluation::PairedComparison& c) {
  return {{"pairs", c.pairs},
          {"mean_difference", c.mean_difference},
          {"stddev_difference", c.stddev_difference},
          {"t", std::isfinite(c.t) ? nlohmann::json(c.t) : nlohmann::json()},
          {"p_two_sided", c.p_two_sided},
          {"ci95", {c.ci95_low, c.ci95_high}}};
}

}  // namespace distill::pipeline
