// Reference and oneDNN fp32 convolution for training (NHWC activations, OIHW weights).
#include "distill/kernels/conv2d.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "distill/core/error.h"
#include "onednn_engine.h"
#include "small_work_threads.h"

namespace distill::kernels {
namespace {

using dnnl::memory;

/// The input pixel that output (i, j) reads through tap (di, dj), or false outside the input.
bool tap(const Conv2dShape& s, int64_t i, int64_t j, int64_t di, int64_t dj, int64_t& row,
         int64_t& col) {
  row = i * s.stride + di - s.padding;
  col = j * s.stride + dj - s.padding;
  return row >= 0 && row < s.height && col >= 0 && col < s.width;
}

/// Calls visit(x_index, w_index, y_index) for every multiply-add of the convolution.
template <typename Visit>
void for_each_product(const Conv2dShape& s, const Visit& visit) {
  const int64_t group_in = s.in_channels / s.groups, group_out = s.out_channels / s.groups;
  const int64_t out_h = s.out_height(), out_w = s.out_width();
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t i = 0; i < out_h; ++i)
      for (int64_t j = 0; j < out_w; ++j)
        for (int64_t o = 0; o < s.out_channels; ++o) {
          const int64_t y_index = ((n * out_h + i) * out_w + j) * s.out_channels + o;
          const int64_t first = o / group_out * group_in;
          for (int64_t c = 0; c < group_in; ++c)
            for (int64_t di = 0; di < s.kernel; ++di)
              for (int64_t dj = 0; dj < s.kernel; ++dj) {
                int64_t row, col;
                if (!tap(s, i, j, di, dj, row, col)) continue;
                visit(((n * s.height + row) * s.width + col) * s.in_channels + first + c,
                      ((o * group_in + c) * s.kernel + di) * s.kernel + dj, y_index);
              }
        }
}

int64_t x_size(const Conv2dShape& s) { return s.batch * s.height * s.width * s.in_channels; }
int64_t y_size(const Conv2dShape& s) {
  return s.batch * s.out_height() * s.out_width() * s.out_channels;
}
int64_t w_size(const Conv2dShape& s) {
  return s.out_channels * (s.in_channels / s.groups) * s.kernel * s.kernel;
}

memory::desc activation_desc(int64_t batch, int64_t channels, int64_t height, int64_t width,
                             memory::format_tag tag = memory::format_tag::nhwc) {
  return memory::desc({batch, channels, height, width}, memory::data_type::f32, tag);
}

memory::dims weight_dims(const Conv2dShape& s) {
  if (s.groups == 1) return {s.out_channels, s.in_channels, s.kernel, s.kernel};
  return {s.groups, s.out_channels / s.groups, s.in_channels / s.groups, s.kernel, s.kernel};
}

memory::desc plain_weights(const Conv2dShape& s) {
  return {weight_dims(s), memory::data_type::f32,
          s.groups == 1 ? memory::format_tag::oihw : memory::format_tag::goihw};
}

/// The three primitives of one shape, the backward ones hinted by the forward one.
struct ConvPrimitives {
  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_backward_data::primitive_desc data_pd;
  dnnl::convolution_backward_weights::primitive_desc weights_pd;
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data data;
  dnnl::convolution_backward_weights weights;
};

const ConvPrimitives& primitives(const Conv2dShape& s) {
  static PrimitiveCache<ConvPrimitives> cache;
  const std::string key =
      detail::concat(s.batch, 'x', s.height, 'x', s.width, 'x', s.in_channels, '>', s.out_channels,
                     'k', s.kernel, 's', s.stride, 'p', s.padding, 'g', s.groups);
  return cache.get(key, [&] {
    const dnnl::engine& engine = onednn_engine();
    const memory::desc x = activation_desc(s.batch, s.in_channels, s.height, s.width);
    const memory::desc y = activation_desc(s.batch, s.out_channels, s.out_height(), s.out_width());
    const memory::desc any_weights(weight_dims(s), memory::data_type::f32, memory::format_tag::any);
    const memory::dims strides{s.stride, s.stride}, padding{s.padding, s.padding};
    const dnnl::primitive_attr attributes = onednn_attributes();
    dnnl::convolution_forward::primitive_desc forward_pd(
        {dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, x, any_weights, y,
         strides, padding, padding},
        attributes, engine);
    dnnl::convolution_backward_data::primitive_desc data_pd(
        {dnnl::algorithm::convolution_direct, x, any_weights, y, strides, padding, padding},
        attributes, engine, forward_pd);
    dnnl::convolution_backward_weights::primitive_desc weights_pd(
        {dnnl::algorithm::convolution_direct, x, any_weights, y, strides, padding, padding},
        attributes, engine, forward_pd);
    return ConvPrimitives{forward_pd,
                          data_pd,
                          weights_pd,
                          dnnl::convolution_forward(forward_pd),
                          dnnl::convolution_backward_data(data_pd),
                          dnnl::convolution_backward_weights(weights_pd)};
  });
}

/// Memory of `desc` holding the plain weights: the caller's buffer when the layouts agree, else
/// a reordered copy (held by the returned memory).
memory weights_in(const memory::desc& desc, const Conv2dShape& s, const float* weights) {
  const dnnl::engine& engine = onednn_engine();
  memory plain(plain_weights(s), engine, const_cast<float*>(weights));
  if (desc == plain.get_desc()) return plain;
  memory packed(desc, engine);
  dnnl::reorder(plain, packed).execute(onednn_stream(), plain, packed);
  return packed;
}

}  // namespace

int64_t Conv2dShape::macs() const {
  return batch * out_height() * out_width() * out_channels *
         (in_channels / std::max<int64_t>(groups, 1)) * kernel * kernel;
}

void validate(const Conv2dShape& s) {
  DISTILL_CHECK(
      s.batch >= 0 && s.height > 0 && s.width > 0 && s.in_channels > 0 && s.out_channels > 0,
      "convolution sizes must be > 0, got batch ", s.batch, ", input ", s.height, "x", s.width, "x",
      s.in_channels, ", ", s.out_channels, " output channels");
  DISTILL_CHECK(s.kernel > 0 && s.stride > 0 && s.padding >= 0 &&
                    s.height + 2 * s.padding >= s.kernel && s.width + 2 * s.padding >= s.kernel,
                "convolution kernel ", s.kernel, ", stride ", s.stride, ", padding ", s.padding,
                " do not fit a ", s.height, "x", s.width, " input");
  DISTILL_CHECK(s.groups > 0 && s.in_channels % s.groups == 0 && s.out_channels % s.groups == 0,
                "convolution groups ", s.groups, " must divide ", s.in_channels, " and ",
                s.out_channels, " channels");
}

void reference_conv2d_forward(const Conv2dShape& s, const float* x, const float* weights,
                              float* y) {
  validate(s);
  std::vector<double> sums(static_cast<size_t>(y_size(s)), 0.0);
  for_each_product(s, [&](int64_t xi, int64_t wi, int64_t yi) {
    sums[static_cast<size_t>(yi)] += static_cast<double>(x[xi]) * weights[wi];
  });
  std::copy(sums.begin(), sums.end(), y);
}

void reference_conv2d_backward_data(const Conv2dShape& s, const float* dy, const float* weights,
                                    float* dx) {
  validate(s);
  std::vector<double> sums(static_cast<size_t>(x_size(s)), 0.0);
  for_each_product(s, [&](int64_t xi, int64_t wi, int64_t yi) {
    sums[static_cast<size_t>(xi)] += static_cast<double>(dy[yi]) * weights[wi];
  });
  std::copy(sums.begin(), sums.end(), dx);
}

void reference_conv2d_backward_weights(const Conv2dShape& s, const float* x, const float* dy,
                                       float* dw) {
  validate(s);
  std::vector<double> sums(static_cast<size_t>(w_size(s)), 0.0);
  for_each_product(s, [&](int64_t xi, int64_t wi, int64_t yi) {
    sums[static_cast<size_t>(wi)] += static_cast<double>(x[xi]) * dy[yi];
  });
  std::copy(sums.begin(), sums.end(), dw);
}

void onednn_conv2d_forward(const Conv2dShape& s, const float* x, const float* weights, float* y) {
  validate(s);
  if (s.batch == 0) return;
  SingleThreadForSmallWork threads(s.macs());
  const ConvPrimitives& p = primitives(s);
  const dnnl::engine& engine = onednn_engine();
  onednn_run(p.forward,
             {{DNNL_ARG_SRC, memory(p.forward_pd.src_desc(), engine, const_cast<float*>(x))},
              {DNNL_ARG_WEIGHTS, weights_in(p.forward_pd.weights_desc(), s, weights)},
              {DNNL_ARG_DST, memory(p.forward_pd.dst_desc(), engine, y)}},
             p.forward_pd.scratchpad_desc(), "the convolution's forward pass");
}

void onednn_conv2d_backward_data(const Conv2dShape& s, const float* dy, const float* weights,
                                 float* dx) {
  validate(s);
  if (s.batch == 0) return;
  SingleThreadForSmallWork threads(s.macs());
  const ConvPrimitives& p = primitives(s);
  const dnnl::engine& engine = onednn_engine();
  onednn_run(
      p.data,
      {{DNNL_ARG_DIFF_DST, memory(p.data_pd.diff_dst_desc(), engine, const_cast<float*>(dy))},
       {DNNL_ARG_WEIGHTS, weights_in(p.data_pd.weights_desc(), s, weights)},
       {DNNL_ARG_DIFF_SRC, memory(p.data_pd.diff_src_desc(), engine, dx)}},
      p.data_pd.scratchpad_desc(), "the convolution's backward pass to the input");
}

void onednn_conv2d_backward_weights(const Conv2dShape& s, const float* x, const float* dy,
                                    float* dw) {
  validate(s);
  if (s.batch == 0) {
    std::fill(dw, dw + w_size(s), 0.0f);
    return;
  }
  SingleThreadForSmallWork threads(s.macs());
  const ConvPrimitives& p = primitives(s);
  const dnnl::engine& engine = onednn_engine();
  memory plain(plain_weights(s), engine, dw);
  const bool direct = p.weights_pd.diff_weights_desc() == plain.get_desc();
  memory packed = direct ? plain : memory(p.weights_pd.diff_weights_desc(), engine);
  onednn_run(
      p.weights,
      {{DNNL_ARG_SRC, memory(p.weights_pd.src_desc(), engine, const_cast<float*>(x))},
       {DNNL_ARG_DIFF_DST, memory(p.weights_pd.diff_dst_desc(), engine, const_cast<float*>(dy))},
       {DNNL_ARG_DIFF_WEIGHTS, packed}},
      p.weights_pd.scratchpad_desc(), "the convolution's backward pass to the weights");
  if (!direct) {
    dnnl::reorder(packed, plain).execute(onednn_stream(), packed, plain);
    onednn_stream().wait();
  }
}

}  // namespace distill::kernels
