// Seed statistics: summaries, Student's t distribution, paired comparisons.
#include "distill/evaluation/seed_statistics.h"

#include <cmath>
#include <limits>

#include "distill/core/error.h"

namespace distill::evaluation {
namespace {

/// The continued fraction of the regularized incomplete beta function (Lentz's method), as in
/// Numerical Recipes' betacf; converges quickly for x < (a + 1) / (a + b + 2).
double beta_continued_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 500; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < 1e-15) break;
  }
  return h;
}

/// I_x(a, b), the regularized incomplete beta function; `y` = 1 - x, given separately so that
/// x close to 1 keeps its precision.
double regularized_incomplete_beta(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log(y));
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, y) / b;
}

}  // namespace

SampleSummary summarize(const std::vector<double>& values) {
  SampleSummary s;
  s.count = static_cast<int64_t>(values.size());
  if (values.empty()) return s;
  for (double v : values) s.mean += v;
  s.mean /= static_cast<double>(values.size());
  if (values.size() > 1) {
    double squares = 0;
    for (double v : values) squares += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(squares / static_cast<double>(values.size() - 1));
  }
  return s;
}

double student_t_cdf(double t, double dof) {
  DISTILL_CHECK(dof > 0, "Student's t needs degrees of freedom > 0, got ", dof);
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  const double tail =
      0.5 * regularized_incomplete_beta(dof / 2, 0.5, dof / (dof + t * t), t * t / (dof + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double dof) {
  DISTILL_CHECK(p > 0 && p < 1, "a quantile needs 0 < p < 1, got ", p);
  double low = -1, high = 1;
  while (student_t_cdf(low, dof) > p) low *= 2;
  while (student_t_cdf(high, dof) < p) high *= 2;
  while (high - low > 1e-10 * std::max(1.0, std::fabs(high))) {
    const double mid = 0.5 * (low + high);
    (student_t_cdf(mid, dof) < p ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

PairedComparison paired_comparison(const std::vector<double>& baseline,
                                   const std::vector<double>& treated) {
  DISTILL_CHECK(baseline.size() == treated.size(), "a paired comparison needs one treated value "
                "per baseline value: ", baseline.size(), " baseline against ", treated.size());
  std::vector<double> differences;
  for (size_t i = 0; i < baseline.size(); ++i) differences.push_back(treated[i] - baseline[i]);
  const SampleSummary d = summarize(differences);
  PairedComparison c;
  c.pairs = d.count;
  c.mean_difference = d.mean;
  c.stddev_difference = d.stddev;
  c.ci95_low = c.ci95_high = d.mean;
  if (d.count < 2 || d.stddev == 0) {
    c.t = d.mean == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), d.mean);
    c.p_two_sided = d.mean == 0 || d.count < 2 ? 1.0 : 0.0;
    return c;
  }
  const double dof = static_cast<double>(d.count - 1);
  const double standard_error = d.stddev / std::sqrt(static_cast<double>(d.count));
  c.t = d.mean / standard_error;
  c.p_two_sided = 2 * (1 - student_t_cdf(std::fabs(c.t), dof));
  const double half_width = student_t_quantile(0.975, dof) * standard_error;
  c.ci95_low = d.mean - half_width;
  c.ci95_high = d.mean + half_width;
  return c;
}

}  // namespace distill::evaluation
