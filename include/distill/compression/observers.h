// Calibration observers: the range [lo, hi] an activation tensor is quantized over, chosen from
// calibration samples. min/max keeps every value; percentile clips the rare outliers; MSE picks
// the clipping threshold that minimises the squared quantization error.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <utility>

namespace distill::compression {

enum class ObserverKind { kMinMax, kPercentile, kMse };

const char* to_string(ObserverKind kind);

struct ObserverOptions {
  ObserverKind kind = ObserverKind::kMse;
  /// kPercentile: the share of |values| kept inside the range, in percent (0, 100].
  double percentile = 99.99;
};

/// The uint8 range [lo, hi] for `values` (any shape; float). lo <= 0 <= hi always, so zero
/// stays exactly representable. Non-negative values (after ReLU) give lo = 0.
std::pair<float, float> observe_range(const at::Tensor& values, const ObserverOptions& options);

/// Mean squared error of quantizing `values` to uint8 over [lo, hi] (the MSE observer's
/// objective; tests use it to check the chosen range is no worse than min/max).
double uint8_quantization_mse(const at::Tensor& values, float lo, float hi);

}  // namespace distill::compression
