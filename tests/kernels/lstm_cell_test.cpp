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
                                                           c.data());
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
        // Measured: at most 2.4e-7 over 140,000 units (two units in the last place near 1).
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
                                                           h.data(), c.data());
    for (int64_t u = 0; u < units; ++u) {
      EXPECT_EQ(c[u], -1.0f) << (fast ? "fast" : "reference");
      EXPECT_NEAR(h[u], std::tanh(-1.0), 1e-6) << (fast ? "fast" : "reference");
    }
  }
}

}  // namespace
}  // namespace distill::kernels
