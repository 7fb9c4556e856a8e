// Calibration observers.
#include "distill/compression/observers.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "distill/core/error.h"
#include "distill/kernels/int8_gemm.h"

namespace distill::compression {
namespace {

/// The MSE search evaluates this many evenly spaced clipping fractions of the full range, on at
/// most kMseSampleSize values: enough to find the knee on activation histograms, and fast.
constexpr int kMseCandidates = 100;
constexpr int64_t kMseSampleSize = 1 << 18;

at::Tensor flat_float(const at::Tensor& values) {
  return values.detach().reshape({-1}).to(at::kFloat).contiguous();
}

}  // namespace

const char* to_string(ObserverKind kind) {
  switch (kind) {
    case ObserverKind::kMinMax: return "minmax";
    case ObserverKind::kPercentile: return "percentile";
    case ObserverKind::kMse: return "mse";
  }
  return "unknown";
}

double uint8_quantization_mse(const at::Tensor& values, float lo, float hi) {
  float scale;
  int32_t zero_point;
  kernels::uint8_range_parameters(lo, hi, &scale, &zero_point);
  const at::Tensor x = flat_float(values);
  const at::Tensor q = at::fake_quantize_per_tensor_affine(x, scale, zero_point, 0, 255);
  return (q - x).pow(2).mean().item<double>();
}

std::pair<float, float> observe_range(const at::Tensor& values, const ObserverOptions& options) {
  const at::Tensor x = flat_float(values);
  DISTILL_CHECK(x.numel() > 0, "cannot calibrate a quantization range on no values");
  DISTILL_CHECK(at::isfinite(x).all().item<bool>(),
                "calibration values contain NaN or Inf; check the model and the data");
  const float min = std::min(x.min().item<float>(), 0.0f);
  const float max = std::max(x.max().item<float>(), 0.0f);
  switch (options.kind) {
    case ObserverKind::kMinMax:
      return {min, max};
    case ObserverKind::kPercentile: {
      DISTILL_CHECK(options.percentile > 0 && options.percentile <= 100,
                    "percentile must be in (0, 100], got ", options.percentile);
      const double q = options.percentile / 100.0;
      // kthvalue is exact and, unlike quantile(), has no input-size limit.
      auto quantile = [&](const at::Tensor& t, double fraction) {
        const int64_t k = std::clamp<int64_t>(
            static_cast<int64_t>(std::ceil(fraction * static_cast<double>(t.numel()))), 1,
            t.numel());
        return std::get<0>(at::kthvalue(t, k)).item<float>();
      };
      const float hi = max > 0 ? quantile(x, q) : 0.0f;
      const float lo = min < 0 ? quantile(x, 1.0 - q) : 0.0f;
      return {std::min(lo, 0.0f), std::max(hi, 0.0f)};
    }
    case ObserverKind::kMse: {
      at::Tensor sample = x;
      if (x.numel() > kMseSampleSize) {
        // A fixed stride, not a random draw: calibration stays deterministic.
        sample = x.slice(0, 0, x.numel(), x.numel() / kMseSampleSize);
      }
      std::pair<float, float> best{min, max};
      double best_error = std::numeric_limits<double>::infinity();
      for (int c = 1; c <= kMseCandidates; ++c) {
        const float fraction = static_cast<float>(c) / kMseCandidates;
        const double error = uint8_quantization_mse(sample, min * fraction, max * fraction);
        if (error < best_error) {
          best_error = error;
          best = {min * fraction, max * fraction};
        }
      }
      return best;
    }
  }
  DISTILL_FAIL("unknown observer ", static_cast<int>(options.kind));
}

}  // namespace distill::compression
