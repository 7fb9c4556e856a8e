// Seed statistics against closed forms: Student's t for 1 and 2 degrees of freedom, table
// quantiles, and a paired t test computed by hand.
#include "distill/evaluation/seed_statistics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "distill/core/error.h"

namespace distill::evaluation {
namespace {

TEST(SeedStatistics, SummaryIsMeanAndSampleStandardDeviation) {
  const SampleSummary s = summarize({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(s.count, 8);
  EXPECT_DOUBLE_EQ(s.mean, 5);
  EXPECT_NEAR(s.stddev, std::sqrt(32.0 / 7.0), 1e-12);
  EXPECT_EQ(summarize({3}).stddev, 0);
}

TEST(SeedStatistics, StudentTMatchesItsClosedForms) {
  for (double t : {-30.0, -2.5, -0.3, 0.0, 0.7, 1.9, 12.0}) {
    // One degree of freedom is the Cauchy distribution; two have F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
    EXPECT_NEAR(student_t_cdf(t, 1), 0.5 + std::atan(t) / M_PI, 1e-12) << t;
    EXPECT_NEAR(student_t_cdf(t, 2), 0.5 + t / (2 * std::sqrt(2 + t * t)), 1e-12) << t;
  }
}

TEST(SeedStatistics, QuantilesMatchTheTable) {
  // Two-sided 95% critical values of Student's t (any statistics table).
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.7764, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 9), 2.2622, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.0423, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.5, 7), 0, 1e-9);
  EXPECT_THROW(student_t_quantile(1.0, 4), Error);
}

TEST(SeedStatistics, PairedComparisonIsTheTTestOfTheDifferences) {
  // Differences 0.2, 0.4, 0.1, 0.3, 0.5: mean 0.3, sd sqrt(0.025), t = 0.3 / (sd / sqrt 5)
  // = 4.2426; with 4 degrees of freedom the two-sided p is 2 (1 - F(4.2426)) = 0.01324.
  const PairedComparison c =
      paired_comparison({0.80, 0.81, 0.82, 0.83, 0.84}, {1.00, 1.21, 0.92, 1.13, 1.34});
  EXPECT_EQ(c.pairs, 5);
  EXPECT_NEAR(c.mean_difference, 0.3, 1e-12);
  EXPECT_NEAR(c.stddev_difference, std::sqrt(0.025), 1e-12);
  EXPECT_NEAR(c.t, 4.242641, 1e-6);
  EXPECT_NEAR(c.p_two_sided, 0.013236, 1e-6);
  const double half = 2.776445 * std::sqrt(0.025) / std::sqrt(5.0);
  EXPECT_NEAR(c.ci95_low, 0.3 - half, 1e-6);
  EXPECT_NEAR(c.ci95_high, 0.3 + half, 1e-6);
}

TEST(SeedStatistics, DegenerateComparisonsAreDefined) {
  EXPECT_EQ(paired_comparison({0.5}, {0.7}).p_two_sided, 1.0);
  EXPECT_EQ(paired_comparison({0.5, 0.6}, {0.5, 0.6}).p_two_sided, 1.0);
  EXPECT_EQ(paired_comparison({0.5, 0.6}, {0.6, 0.7}).p_two_sided, 0.0);
  EXPECT_THROW(paired_comparison({0.5}, {0.5, 0.6}), Error);
}

}  // namespace
}  // namespace distill::evaluation
