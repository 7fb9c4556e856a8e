// Tensor comparison for tests.
#include "tensor_assertions.h"

#include <ATen/ATen.h>

#include <cmath>

namespace distill::testing {

::testing::AssertionResult tensors_close(const at::Tensor& actual, const at::Tensor& expected,
                                         double atol, double rtol) {
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure()
           << "shape " << actual.sizes() << " differs from expected " << expected.sizes();
  }
  const at::Tensor a = actual.detach().to(at::kDouble).contiguous().flatten();
  const at::Tensor e = expected.detach().to(at::kDouble).contiguous().flatten();
  const double* pa = a.data_ptr<double>();
  const double* pe = e.data_ptr<double>();
  int64_t mismatches = 0, first = -1;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const bool ok = std::abs(pa[i] - pe[i]) <= atol + rtol * std::abs(pe[i]) ||
                    (std::isnan(pa[i]) && std::isnan(pe[i]));
    if (!ok && mismatches++ == 0) first = i;
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << mismatches << " of " << a.numel() << " elements of shape " << actual.sizes()
         << " differ; first at flat index " << first << ": actual " << pa[first] << ", expected "
         << pe[first] << " (atol " << atol << ", rtol " << rtol << ")";
}

}  // namespace distill::testing
