// Statistics over seeds: mean and spread of a figure, and the paired comparison of two methods
// run from the same seeds (baseline vs distilled), with Student's t test and its interval.
#pragma once

#include <cstdint>
#include <vector>

namespace distill::evaluation {

/// Mean and sample standard deviation (n - 1; 0 for a single value) of `values`.
struct SampleSummary {
  int64_t count = 0;
  double mean = 0;
  double stddev = 0;
};
SampleSummary summarize(const std::vector<double>& values);

/// `treated[i] - baseline[i]` over seeds run in pairs: the mean difference, its sample standard
/// deviation, Student's t with count - 1 degrees of freedom, the two-sided p-value of "no
/// difference" and the 95% confidence interval of the mean difference. With fewer than two
/// pairs p is 1; with every difference equal, t is infinite (p 0) or 0 (p 1). In both cases
/// the interval collapses to the mean.
struct PairedComparison {
  int64_t pairs = 0;
  double mean_difference = 0;
  double stddev_difference = 0;
  double t = 0;
  double p_two_sided = 1;
  double ci95_low = 0;
  double ci95_high = 0;
};
PairedComparison paired_comparison(const std::vector<double>& baseline,
                                   const std::vector<double>& treated);

/// P(T <= t) for Student's t distribution with `dof` > 0 degrees of freedom (through the
/// regularized incomplete beta function).
double student_t_cdf(double t, double dof);

/// The t with P(T <= t) = p, for 0 < p < 1 (bisection on student_t_cdf, to 1e-10).
double student_t_quantile(double p, double dof);

}  // namespace distill::evaluation
