// Sums of scaled int8 rows: a closed form, and the AVX-512 path held to the scalar reference bit
// for bit on every width class (whole 16-column groups, a partial group, more than the 128
// columns held in registers at once), repeated rows and an empty list.
#include "distill/kernels/int8_rows.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace distill::kernels {
namespace {

TEST(Int8Rows, SumsEachRowTimesItsScaleInTheGivenOrder) {
  // Row 0 = (1, -2, 127), row 1 = (-128, 0, 3), row 2 = (4, 4, -4); scales 0.5, 2, 0.25.
  const std::vector<int8_t> table = {1, -2, 127, -128, 0, 3, 4, 4, -4};
  const std::vector<float> scales = {0.5f, 2.0f, 0.25f};
  const std::vector<int64_t> rows = {0, 2, 0, 1};
  float sum[3];
  sum_scaled_int8_rows(table.data(), scales.data(), 3, rows.data(), 4, sum);
  // 2 · row 0 · 0.5 + row 2 · 0.25 + row 1 · 2
  EXPECT_EQ(sum[0], 1.0f + 1.0f - 256.0f);
  EXPECT_EQ(sum[1], -2.0f + 1.0f + 0.0f);
  EXPECT_EQ(sum[2], 127.0f - 1.0f + 6.0f);
}

TEST(Int8Rows, NoRowsLeaveZeros) {
  const std::vector<int8_t> table(40, 5);
  const std::vector<float> scales = {1.0f, 1.0f};
  std::vector<float> sum(20, std::numeric_limits<float>::quiet_NaN());
  sum_scaled_int8_rows(table.data(), scales.data(), 20, nullptr, 0, sum.data());
  for (float v : sum) EXPECT_EQ(v, 0.0f);
}

TEST(Int8Rows, FastPathGivesTheReferenceBitsOnEveryWidth) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> code(-128, 127);
  std::uniform_real_distribution<float> scale(1e-4f, 0.1f);
  for (int64_t width : {1, 7, 16, 17, 64, 100, 128, 130, 300}) {
    const int64_t table_rows = 50;
    std::vector<int8_t> table(static_cast<size_t>(table_rows * width));
    for (auto& c : table) c = static_cast<int8_t>(code(rng));
    std::vector<float> scales(static_cast<size_t>(table_rows));
    for (auto& s : scales) s = scale(rng);
    for (int64_t count : {1, 3, 127}) {
      std::vector<int64_t> rows(static_cast<size_t>(count));
      std::uniform_int_distribution<int64_t> row(0, table_rows - 1);
      for (auto& r : rows) r = row(rng);
      std::vector<float> fast(static_cast<size_t>(width) + 1, -1.0f);
      std::vector<float> reference(static_cast<size_t>(width) + 1, -1.0f);
      sum_scaled_int8_rows(table.data(), scales.data(), width, rows.data(), count, fast.data());
      reference_sum_scaled_int8_rows(table.data(), scales.data(), width, rows.data(), count,
                                     reference.data());
      ASSERT_EQ(std::memcmp(fast.data(), reference.data(), fast.size() * sizeof(float)), 0)
          << "width " << width << ", " << count << " rows";
      EXPECT_EQ(fast[static_cast<size_t>(width)], -1.0f) << "wrote past the sum, width " << width;
    }
  }
}

}  // namespace
}  // namespace distill::kernels
