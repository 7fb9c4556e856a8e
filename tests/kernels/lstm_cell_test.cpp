// The LSTM cell update: the reference against the cell's formulas in double precision, a closed
// form, and the AVX-512 path held to the reference on every width class (whole 16-unit groups, a
// partial one), over the gates' whole range, saturation included, with no write past the units.
#include "distill/kernels/lstm_cell.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace distill::kernels {
namespace {

double logistic_double(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// Gates (4 · units) drawn from [-spread, spread], split into an input and a recurrent part.
struct Gates {
  std::vector<float> input, recurrent;
};

Gates random_gates(int64_t units, float spread, std::mt19937& rng) {
  std::uniform_real_distribution<float> value(-spread, spread);
  Gates g{std::vector<float>(4 * units), std::vector<float>(4 * units)};
  for (float& v : g.input) v = value(rng);
  for (float& v : g.recurrent) v = value(rng);
  return g;
}

TEST(LstmCell, ZeroGatesHalveTheCellAndGateItsTanh) {
  // σ(0) = 1/2 and tanh(0) = 0: c ← c/2, h ← tanh(c/2)/2.
  const std::vector<float> zeros(4 * 3, 0.0f);
  for (bool fast : {false, true}) {
    std::vector<float> h(3, 9.0f), c = {1.0f, -3.0f, 0.0f};
    (fast ? lstm_cell_update : reference_lstm_cell_update)(zeros.data(), zeros.data(), 3, h.data(),
                                                           c.data(), nullptr);
    EXPECT_EQ(c[0], 0.5f);
    EXPECT_EQ(c[1], -1.5f);
    EXPECT_EQ(c[2], 0.0f);
    EXPECT_NEAR(h[0], 0.5 * std::tanh(0.5), 1e-7);
    EXPECT_NEAR(h[1], 0.5 * std::tanh(-1.5), 1e-7);
    EXPECT_EQ(h[2], 0.0f);
  }
}

TEST(LstmCell, ReferenceFollowsTheCellsFormulas) {
  std::mt19937 rng(11);
  const int64_t units = 37;
  const Gates g = random_gates(units, 6.0f, rng);
  std::vector<float> h(units), c(units);
  std::vector<double> expected_c(units), expected_h(units);
  std::uniform_real_distribution<float> cell(-3.0f, 3.0f);
  for (int64_t u = 0; u < units; ++u) {
    c[u] = cell(rng);
    const auto a = [&](int64_t block) {
      return static_cast<double>(g.input[block * units + u]) + g.recurrent[block * units + u];
    };
    expected_c[u] = logistic_double(a(1)) * c[u] + logistic_double(a(0)) * std::tanh(a(2));
    expected_h[u] = logistic_double(a(3)) * std::tanh(expected_c[u]);
  }
  reference_lstm_cell_update(g.input.data(), g.recurrent.data(), units, h.data(), c.data());
  for (int64_t u = 0; u < units; ++u) {
    EXPECT_NEAR(c[u], expected_c[u], 1e-6) << "unit " << u;
    EXPECT_NEAR(h[u], expected_h[u], 1e-6) << "unit " << u;
  }
}

TEST(LstmCell, FastPathMatchesTheReferenceOnEveryWidthAndRange) {
  std::mt19937 rng(5);
  for (float spread : {1.0f, 12.0f, 60.0f, 300.0f}) {
    for (int64_t units = 1; units <= 70; ++units) {
      const Gates g = random_gates(units, spread, rng);
      std::uniform_real_distribution<float> cell(-4.0f, 4.0f);
      std::vector<float> c_reference(units);
      for (float& v : c_reference) v = cell(rng);
      // One slot past the units, which neither path may write.
      std::vector<float> h(units + 1, 7.0f), c(c_reference), h_reference(units);
      c.push_back(7.0f);
      reference_lstm_cell_update(g.input.data(), g.recurrent.data(), units, h_reference.data(),
                                 c_reference.data());
      lstm_cell_update(g.input.data(), g.recurrent.data(), units, h.data(), c.data());
      for (int64_t u = 0; u < units; ++u) {
        // Measured: at most 3.6e-7 over 140,000 units (three units in the last place near 1).
        ASSERT_NEAR(c[u], c_reference[u], 5e-7 * (1.0f + std::fabs(c_reference[u])))
            << units << " units, spread " << spread << ", unit " << u;
        ASSERT_NEAR(h[u], h_reference[u], 5e-7)
            << units << " units, spread " << spread << ", unit " << u;
      }
      EXPECT_EQ(h[units], 7.0f) << units << " units";
      EXPECT_EQ(c[units], 7.0f) << units << " units";
    }
  }
}

TEST(LstmCell, SaturatedGatesGiveTheLimits) {
  // Gates far beyond e^x's float range: σ is exactly 0 or 1 and tanh exactly ±1 on both paths.
  const int64_t units = 20;
  std::vector<float> input(4 * units), recurrent(4 * units, 0.0f);
  for (int64_t u = 0; u < units; ++u) {
    input[u] = 1e4f;                // i = 1
    input[units + u] = -1e4f;       // f = 0: the old cell is forgotten
    input[2 * units + u] = -1e30f;  // g = -1
    input[3 * units + u] = 500.0f;  // o = 1
  }
  for (bool fast : {false, true}) {
    std::vector<float> h(units), c(units, 123.0f);
    (fast ? lstm_cell_update : reference_lstm_cell_update)(input.data(), recurrent.data(), units,
                                                           h.data(), c.data(), nullptr);
    for (int64_t u = 0; u < units; ++u) {
      EXPECT_EQ(c[u], -1.0f) << (fast ? "fast" : "reference");
      EXPECT_NEAR(h[u], std::tanh(-1.0), 1e-6) << (fast ? "fast" : "reference");
    }
  }
}

TEST(LstmCell, BothPathsSaveTheActivationsTheBackwardStepReads) {
  std::mt19937 rng(3);
  const int64_t units = 21;
  const Gates g = random_gates(units, 5.0f, rng);
  for (bool fast : {false, true}) {
    std::vector<float> h(units), c(units, 0.5f), saved(5 * units);
    (fast ? lstm_cell_update : reference_lstm_cell_update)(g.input.data(), g.recurrent.data(),
                                                           units, h.data(), c.data(), saved.data());
    for (int64_t u = 0; u < units; ++u) {
      const auto a = [&](int64_t block) {
        return static_cast<double>(g.input[block * units + u]) + g.recurrent[block * units + u];
      };
      EXPECT_NEAR(saved[u], logistic_double(a(0)), 1e-6);
      EXPECT_NEAR(saved[units + u], logistic_double(a(1)), 1e-6);
      EXPECT_NEAR(saved[2 * units + u], std::tanh(a(2)), 1e-6);
      EXPECT_NEAR(saved[3 * units + u], logistic_double(a(3)), 1e-6);
      EXPECT_NEAR(saved[4 * units + u], std::tanh(static_cast<double>(c[u])), 1e-6);
      EXPECT_NEAR(h[u], saved[3 * units + u] * saved[4 * units + u], 1e-6);
    }
  }
}

/// The step in double precision: (h, c) after it from the pre-activations and the cell before.
void cell_step_double(const std::vector<double>& a, const std::vector<double>& c_before,
                      int64_t units, std::vector<double>& h, std::vector<double>& c) {
  for (int64_t u = 0; u < units; ++u) {
    c[u] = logistic_double(a[units + u]) * c_before[u] +
           logistic_double(a[u]) * std::tanh(a[2 * units + u]);
    h[u] = logistic_double(a[3 * units + u]) * std::tanh(c[u]);
  }
}

TEST(LstmCell, BackwardStepMatchesFiniteDifferences) {
  // loss = Σ wh·h + Σ wc·c after the step: ∂loss/∂a and ∂loss/∂c_before by central differences
  // of the double-precision step, against lstm_cell_backward with dh = wh, dc = wc.
  std::mt19937 rng(8);
  const int64_t units = 19;
  std::uniform_real_distribution<double> value(-2.0, 2.0);
  std::vector<double> a(4 * units), c_before(units), wh(units), wc(units);
  for (double& v : a) v = value(rng);
  for (double& v : c_before) v = value(rng);
  for (double& v : wh) v = value(rng);
  for (double& v : wc) v = value(rng);
  const auto loss = [&](const std::vector<double>& gates, const std::vector<double>& cell) {
    std::vector<double> h(units), c(units);
    cell_step_double(gates, cell, units, h, c);
    double total = 0;
    for (int64_t u = 0; u < units; ++u) total += wh[u] * h[u] + wc[u] * c[u];
    return total;
  };
  for (bool with_cell : {true, false}) {
    std::vector<double> cell = with_cell ? c_before : std::vector<double>(units, 0.0);
    std::vector<float> in(a.begin(), a.end()), rec(4 * units, 0.0f), h(units), saved(5 * units);
    std::vector<float> c(cell.begin(), cell.end()), c_before_float(c);
    reference_lstm_cell_update(in.data(), rec.data(), units, h.data(), c.data(), saved.data());
    std::vector<float> dh(wh.begin(), wh.end()), dc(wc.begin(), wc.end()), da(4 * units);
    lstm_cell_backward(saved.data(), with_cell ? c_before_float.data() : nullptr, dh.data(), units,
                       dc.data(), da.data());
    const double step = 1e-6;
    for (int64_t k = 0; k < 4 * units; ++k) {
      std::vector<double> up = a, down = a;
      up[k] += step;
      down[k] -= step;
      const double expected = (loss(up, cell) - loss(down, cell)) / (2 * step);
      EXPECT_NEAR(da[k], expected, 2e-5 * (1 + std::fabs(expected))) << "gate input " << k;
    }
    for (int64_t u = 0; u < units; ++u) {
      std::vector<double> up = cell, down = cell;
      up[u] += step;
      down[u] -= step;
      const double expected = (loss(a, up) - loss(a, down)) / (2 * step);
      EXPECT_NEAR(dc[u], expected, 2e-5 * (1 + std::fabs(expected))) << "cell " << u;
    }
  }
}

}  // namespace
}  // namespace distill::kernels
