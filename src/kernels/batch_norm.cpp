// Reference and oneDNN batch normalization for training (NHWC), with an optional fused ReLU.
#include "distill/kernels/batch_norm.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "distill/core/error.h"
#include "onednn_engine.h"

namespace distill::kernels {
namespace {

using dnnl::memory;

/// Per channel: the batch's mean and biased variance, in double.
void channel_statistics(const BatchNormShape& s, const float* x, std::vector<double>& mean,
                        std::vector<double>& variance) {
  const int64_t rows = s.rows(), channels = s.channels;
  mean.assign(static_cast<size_t>(channels), 0.0);
  variance.assign(static_cast<size_t>(channels), 0.0);
  if (rows == 0) return;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) mean[static_cast<size_t>(c)] += x[r * channels + c];
  for (double& m : mean) m /= static_cast<double>(rows);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) {
      const double d = x[r * channels + c] - mean[static_cast<size_t>(c)];
      variance[static_cast<size_t>(c)] += d * d;
    }
  for (double& v : variance) v /= static_cast<double>(rows);
}

memory::desc data_desc(const BatchNormShape& s) {
  return memory::desc({s.batch, s.channels, s.height, s.width}, memory::data_type::f32,
                      memory::format_tag::nhwc);
}

memory::desc channel_desc(const BatchNormShape& s) {
  return memory::desc({s.channels}, memory::data_type::f32, memory::format_tag::a);
}

dnnl::normalization_flags flags(const BatchNormShape& s) {
  auto f = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  return s.relu ? f | dnnl::normalization_flags::fuse_norm_relu : f;
}

/// The forward (training) and backward primitives of one shape, the backward hinted by the
/// forward.
struct BatchNormPrimitives {
  dnnl::batch_normalization_forward::primitive_desc forward_pd;
  dnnl::batch_normalization_backward::primitive_desc backward_pd;
  dnnl::batch_normalization_forward forward;
  dnnl::batch_normalization_backward backward;
};

const BatchNormPrimitives& primitives(const BatchNormShape& s) {
  static PrimitiveCache<BatchNormPrimitives> cache;
  const std::string key = detail::concat(s.batch, 'x', s.height, 'x', s.width, 'x', s.channels, 'e',
                                         s.epsilon, s.relu ? "relu" : "");
  return cache.get(key, [&] {
    const dnnl::engine& engine = onednn_engine();
    const memory::desc data = data_desc(s);
    const dnnl::primitive_attr attributes = onednn_attributes();
    dnnl::batch_normalization_forward::primitive_desc forward_pd(
        {dnnl::prop_kind::forward_training, data, s.epsilon, flags(s)}, attributes, engine);
    dnnl::batch_normalization_backward::primitive_desc backward_pd(
        {dnnl::prop_kind::backward, data, data, s.epsilon, flags(s)}, attributes, engine,
        forward_pd);
    return BatchNormPrimitives{forward_pd, backward_pd,
                               dnnl::batch_normalization_forward(forward_pd),
                               dnnl::batch_normalization_backward(backward_pd)};
  });
}

memory wrap(const memory::desc& desc, const float* data) {
  return memory(desc, onednn_engine(), const_cast<float*>(data));
}

}  // namespace

void validate(const BatchNormShape& s) {
  DISTILL_CHECK(s.batch >= 0 && s.height > 0 && s.width > 0 && s.channels > 0,
                "batch norm sizes must be > 0, got batch ", s.batch, ", ", s.height, "x", s.width,
                "x", s.channels);
  DISTILL_CHECK(std::isfinite(s.epsilon) && s.epsilon > 0.0f,
                "batch norm epsilon must be > 0, got ", s.epsilon);
}

void reference_batch_norm_forward(const BatchNormShape& s, const float* x, const float* scale,
                                  const float* shift, float* y, float* mean, float* variance) {
  validate(s);
  std::vector<double> m, v;
  channel_statistics(s, x, m, v);
  const int64_t channels = s.channels;
  for (int64_t c = 0; c < channels; ++c) {
    mean[c] = static_cast<float>(m[static_cast<size_t>(c)]);
    variance[c] = static_cast<float>(v[static_cast<size_t>(c)]);
  }
  for (int64_t r = 0; r < s.rows(); ++r)
    for (int64_t c = 0; c < channels; ++c) {
      const size_t k = static_cast<size_t>(c);
      const double z =
          scale[c] * (x[r * channels + c] - m[k]) / std::sqrt(v[k] + s.epsilon) + shift[c];
      y[r * channels + c] = static_cast<float>(s.relu && z < 0.0 ? 0.0 : z);
    }
}

void reference_batch_norm_backward(const BatchNormShape& s, const float* x, const float* dy,
                                   const float* scale, const float* shift, const float* mean,
                                   const float* variance, float* dx, float* dscale, float* dshift) {
  validate(s);
  const int64_t rows = s.rows(), channels = s.channels;
  auto normalized = [&](int64_t r, int64_t c) {
    return (x[r * channels + c] - static_cast<double>(mean[c])) /
           std::sqrt(static_cast<double>(variance[c]) + s.epsilon);
  };
  // g = dy where the output was not cut by the ReLU (z > 0, as oneDNN and at::relu's backward).
  auto gradient = [&](int64_t r, int64_t c) {
    const double g = dy[r * channels + c];
    return s.relu && scale[c] * normalized(r, c) + shift[c] <= 0.0 ? 0.0 : g;
  };
  std::vector<double> sum_g(static_cast<size_t>(channels), 0.0), sum_gx(sum_g);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) {
      const double g = gradient(r, c);
      sum_g[static_cast<size_t>(c)] += g;
      sum_gx[static_cast<size_t>(c)] += g * normalized(r, c);
    }
  for (int64_t c = 0; c < channels; ++c) {
    dshift[c] = static_cast<float>(sum_g[static_cast<size_t>(c)]);
    dscale[c] = static_cast<float>(sum_gx[static_cast<size_t>(c)]);
  }
  // dx = γ / sqrt(σ² + ε) · (g − mean(g) − x̂ · mean(g · x̂))
  const double n = static_cast<double>(rows);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) {
      const size_t k = static_cast<size_t>(c);
      const double inverse_std = 1.0 / std::sqrt(static_cast<double>(variance[c]) + s.epsilon);
      dx[r * channels + c] =
          static_cast<float>(scale[c] * inverse_std *
                             (gradient(r, c) - sum_g[k] / n - normalized(r, c) * sum_gx[k] / n));
    }
}

int64_t onednn_batch_norm_workspace_bytes(const BatchNormShape& s) {
  validate(s);
  if (!s.relu || s.batch == 0) return 0;
  return static_cast<int64_t>(primitives(s).forward_pd.workspace_desc().get_size());
}

void onednn_batch_norm_forward(const BatchNormShape& s, const float* x, const float* scale,
                               const float* shift, float* y, float* mean, float* variance,
                               uint8_t* workspace) {
  validate(s);
  if (s.batch == 0) {
    std::fill(mean, mean + s.channels, 0.0f);
    std::fill(variance, variance + s.channels, 0.0f);
    return;
  }
  const BatchNormPrimitives& p = primitives(s);
  const memory::desc channel = channel_desc(s);
  std::unordered_map<int, memory> arguments{
      {DNNL_ARG_SRC, wrap(p.forward_pd.src_desc(), x)},
      {DNNL_ARG_SCALE, wrap(channel, scale)},
      {DNNL_ARG_SHIFT, wrap(channel, shift)},
      {DNNL_ARG_DST, wrap(p.forward_pd.dst_desc(), y)},
      {DNNL_ARG_MEAN, wrap(p.forward_pd.mean_desc(), mean)},
      {DNNL_ARG_VARIANCE, wrap(p.forward_pd.variance_desc(), variance)}};
  if (s.relu) {
    DISTILL_CHECK(workspace != nullptr, "batch norm with a fused ReLU needs a workspace of ",
                  onednn_batch_norm_workspace_bytes(s), " bytes, got none");
    arguments.emplace(DNNL_ARG_WORKSPACE,
                      memory(p.forward_pd.workspace_desc(), onednn_engine(), workspace));
  }
  onednn_run(p.forward, std::move(arguments), p.forward_pd.scratchpad_desc(),
             "batch normalization's forward pass");
}

void onednn_batch_norm_backward(const BatchNormShape& s, const float* x, const float* dy,
                                const float* scale, const float* shift, const float* mean,
                                const float* variance, const uint8_t* workspace, float* dx,
                                float* dscale, float* dshift) {
  validate(s);
  if (s.batch == 0) {
    std::fill(dscale, dscale + s.channels, 0.0f);
    std::fill(dshift, dshift + s.channels, 0.0f);
    return;
  }
  const BatchNormPrimitives& p = primitives(s);
  const memory::desc channel = channel_desc(s);
  std::unordered_map<int, memory> arguments{
      {DNNL_ARG_SRC, wrap(p.backward_pd.src_desc(), x)},
      {DNNL_ARG_DIFF_DST, wrap(p.backward_pd.diff_dst_desc(), dy)},
      {DNNL_ARG_SCALE, wrap(channel, scale)},
      {DNNL_ARG_SHIFT, wrap(channel, shift)},  // unread, but oneDNN 2.6 refuses to run without
      {DNNL_ARG_MEAN, wrap(p.forward_pd.mean_desc(), mean)},
      {DNNL_ARG_VARIANCE, wrap(p.forward_pd.variance_desc(), variance)},
      {DNNL_ARG_DIFF_SRC, wrap(p.backward_pd.diff_src_desc(), dx)},
      {DNNL_ARG_DIFF_SCALE, wrap(channel, dscale)},
      {DNNL_ARG_DIFF_SHIFT, wrap(channel, dshift)}};
  if (s.relu) {
    DISTILL_CHECK(workspace != nullptr,
                  "batch norm's backward pass with a fused ReLU needs its forward pass's "
                  "workspace, got none");
    arguments.emplace(DNNL_ARG_WORKSPACE, memory(p.backward_pd.workspace_desc(), onednn_engine(),
                                                 const_cast<uint8_t*>(workspace)));
  }
  onednn_run(p.backward, std::move(arguments), p.backward_pd.scratchpad_desc(),
             "batch normalization's backward pass");
}

}  // namespace distill::kernels
