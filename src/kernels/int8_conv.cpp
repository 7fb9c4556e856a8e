// Reference and oneDNN int8 convolution, and global average pooling.
//
// As for the int8 GEMM (int8_gemm.cpp), oneDNN 2.x computes
//   y = post_ops(oscale · (acc + bias)) + y_zero
// so the bias goes over in accumulator units, bias[o] / (x_scale · w_scale[o]), the output scale
// is x_scale · w_scale[o] / y_scale, the residual is a sum post-op with scale r_scale / y_scale
// and zero point r_zero, and the clamp an eltwise post-op in output units (bounds / y_scale).
#include "distill/kernels/int8_conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "distill/core/error.h"
#include "onednn_engine.h"
#include "onednn_execution.h"
#include "saturate_uint8.h"
#include "small_work_threads.h"

namespace distill::kernels {
namespace {

using dnnl::memory;

bool in_uint8_range(int32_t value) { return value >= 0 && value <= 255; }

/// Whether the input must be copied into a padded buffer: oneDNN pads with the code 0, which is
/// the real value 0 only when the input has no zero point and the padding's code is 0.
bool needs_explicit_padding(const Int8ConvParams& p) {
  return p.padding > 0 && (p.pad_value != 0 || p.input_zero_point != 0);
}

/// Copies x (batch, h, w, c) into (batch, h + 2p, w + 2p, c) filled with the pad value.
void pad_input(const Int8ConvParams& p, const uint8_t* x, int64_t batch, std::vector<uint8_t>& out) {
  const int64_t padded_h = p.height + 2 * p.padding, padded_w = p.width + 2 * p.padding;
  const int64_t row = p.width * p.in_channels, padded_row = padded_w * p.in_channels;
  out.assign(static_cast<size_t>(batch * padded_h * padded_row), static_cast<uint8_t>(p.pad_value));
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t i = 0; i < p.height; ++i)
      std::memcpy(out.data() + (n * padded_h + i + p.padding) * padded_row + p.padding * p.in_channels,
                  x + (n * p.height + i) * row, static_cast<size_t>(row));
}

memory::desc nhwc(int64_t batch, int64_t channels, int64_t height, int64_t width,
                  memory::data_type type) {
  return memory::desc({batch, channels, height, width}, type, memory::format_tag::nhwc);
}

/// Weight dimensions in oneDNN's logical order: (O, I, k, k) or, grouped, (G, O/G, I/G, k, k).
memory::dims weight_dims(const Int8ConvParams& p) {
  if (p.groups == 1) return {p.out_channels, p.in_channels, p.kernel, p.kernel};
  return {p.groups, p.out_channels / p.groups, p.in_channels / p.groups, p.kernel, p.kernel};
}

}  // namespace

int64_t Int8ConvParams::macs() const {
  return batch * out_height() * out_width() * out_channels * (in_channels / std::max<int64_t>(groups, 1)) *
         kernel * kernel;
}

void validate(const Int8ConvParams& p) {
  DISTILL_CHECK(p.batch >= 0 && p.height > 0 && p.width > 0 && p.in_channels > 0 &&
                    p.out_channels > 0,
                "int8 convolution sizes must be > 0, got batch ", p.batch, ", input ", p.height,
                "x", p.width, "x", p.in_channels, ", ", p.out_channels, " output channels");
  DISTILL_CHECK(p.kernel > 0 && p.stride > 0 && p.padding >= 0 &&
                    p.height + 2 * p.padding >= p.kernel && p.width + 2 * p.padding >= p.kernel,
                "int8 convolution kernel ", p.kernel, ", stride ", p.stride, ", padding ",
                p.padding, " do not fit a ", p.height, "x", p.width, " input");
  DISTILL_CHECK(p.groups > 0 && p.in_channels % p.groups == 0 && p.out_channels % p.groups == 0,
                "int8 convolution groups ", p.groups, " must divide ", p.in_channels, " and ",
                p.out_channels, " channels");
  DISTILL_CHECK(std::isfinite(p.input_scale) && p.input_scale > 0 &&
                    std::isfinite(p.output_scale) && p.output_scale > 0 &&
                    std::isfinite(p.residual_scale) && p.residual_scale > 0,
                "int8 convolution scales must be finite and > 0, got input ", p.input_scale,
                ", output ", p.output_scale, ", residual ", p.residual_scale);
  DISTILL_CHECK(in_uint8_range(p.input_zero_point) && in_uint8_range(p.pad_value) &&
                    in_uint8_range(p.output_zero_point) && in_uint8_range(p.residual_zero_point),
                "int8 convolution zero points and pad value must be in [0, 255], got input ",
                p.input_zero_point, ", pad ", p.pad_value, ", output ", p.output_zero_point,
                ", residual ", p.residual_zero_point);
  DISTILL_CHECK(!(p.clamp_min > p.clamp_max), "int8 convolution clamp [", p.clamp_min, ", ",
                p.clamp_max, "] is empty");
  DISTILL_CHECK(p.weight_scales != nullptr, "int8 convolution needs weight scales");
}

void reference_int8_conv(const Int8ConvParams& p, const uint8_t* x, const int8_t* weights,
                         const uint8_t* residual, uint8_t* y) {
  validate(p);
  DISTILL_CHECK(p.residual == (residual != nullptr),
                "int8 convolution residual buffer given without a residual, or missing");
  const int64_t out_h = p.out_height(), out_w = p.out_width();
  const int64_t group_in = p.in_channels / p.groups, group_out = p.out_channels / p.groups;
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t i = 0; i < out_h; ++i) {
      for (int64_t j = 0; j < out_w; ++j) {
        const int64_t pixel = (n * out_h + i) * out_w + j;
        for (int64_t o = 0; o < p.out_channels; ++o) {
          const int64_t first_channel = o / group_out * group_in;
          int32_t accumulator = 0;
          for (int64_t c = 0; c < group_in; ++c) {
            for (int64_t di = 0; di < p.kernel; ++di) {
              for (int64_t dj = 0; dj < p.kernel; ++dj) {
                const int64_t row = i * p.stride + di - p.padding;
                const int64_t column = j * p.stride + dj - p.padding;
                const bool inside = row >= 0 && row < p.height && column >= 0 && column < p.width;
                const int32_t code =
                    inside ? x[((n * p.height + row) * p.width + column) * p.in_channels +
                               first_channel + c]
                           : p.pad_value;
                accumulator += (code - p.input_zero_point) *
                               weights[((o * group_in + c) * p.kernel + di) * p.kernel + dj];
              }
            }
          }
          float value = static_cast<float>(accumulator) * (p.input_scale * p.weight_scales[o]) +
                        (p.bias ? p.bias[o] : 0.0f);
          if (residual)
            value += p.residual_scale *
                     static_cast<float>(residual[pixel * p.out_channels + o] - p.residual_zero_point);
          value = std::min(std::max(value, p.clamp_min), p.clamp_max);
          y[pixel * p.out_channels + o] = saturate_to_uint8(
              value / p.output_scale + static_cast<float>(p.output_zero_point));
        }
      }
    }
  }
}

struct OneDnnInt8Conv::Prepared {
  dnnl::convolution_forward primitive;
  memory::desc scratchpad;
  memory weights;
  OneDnnExecutionPool executions;
};

struct OneDnnInt8Conv::State {
  Int8ConvParams params;  // the convolution oneDNN runs: padding 0 when the input is pre-padded
  bool pre_pad = false;
  Int8ConvParams original;
  std::vector<int8_t> weights;
  std::vector<float> bias;
  std::vector<float> scales;
  std::mutex mutex;
  std::unordered_map<int64_t, std::unique_ptr<Prepared>> by_batch_size;

  Prepared& prepared_for(int64_t batch) {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = by_batch_size.find(batch);
    if (found != by_batch_size.end()) return *found->second;
    const Int8ConvParams& p = params;
    const memory::desc src = nhwc(batch, p.in_channels, p.height, p.width, memory::data_type::u8);
    const memory::desc dst =
        nhwc(batch, p.out_channels, p.out_height(), p.out_width(), memory::data_type::u8);
    const memory::desc any_weights(weight_dims(p), memory::data_type::s8, memory::format_tag::any);
    const memory::desc bias_desc({p.out_channels}, memory::data_type::f32, memory::format_tag::x);
    dnnl::primitive_attr attributes = onednn_attributes();
    attributes.set_output_scales(/*per output channel*/ 1 << 1, scales);
    if (p.input_zero_point != 0) attributes.set_zero_points(DNNL_ARG_SRC, 0, {p.input_zero_point});
    if (p.output_zero_point != 0) attributes.set_zero_points(DNNL_ARG_DST, 0, {p.output_zero_point});
    dnnl::post_ops post_ops;
    if (p.residual) post_ops.append_sum(p.residual_scale / p.output_scale, p.residual_zero_point);
    const float low = p.clamp_min / p.output_scale, high = p.clamp_max / p.output_scale;
    if (std::isfinite(high))
      post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, std::isfinite(low) ? low : -1e30f,
                              high);
    else if (std::isfinite(low))
      post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, low, 1e30f);
    attributes.set_post_ops(post_ops);
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, any_weights,
        bias_desc, dst, {p.stride, p.stride}, {p.padding, p.padding}, {p.padding, p.padding});
    const dnnl::convolution_forward::primitive_desc pd(desc, attributes, onednn_engine());
    const memory::format_tag plain_tag =
        p.groups == 1 ? memory::format_tag::oihw : memory::format_tag::goihw;
    memory plain({weight_dims(p), memory::data_type::s8, plain_tag}, onednn_engine(), weights.data());
    memory packed(pd.weights_desc(), onednn_engine());
    dnnl::reorder(plain, packed).execute(onednn_stream(), plain, packed);
    onednn_stream().wait();
    auto prepared = std::unique_ptr<Prepared>(
        new Prepared{dnnl::convolution_forward(pd), pd.scratchpad_desc(), packed, {}});
    return *by_batch_size.emplace(batch, std::move(prepared)).first->second;
  }

  /// Arguments for one caller's executions at this batch size.
  std::unique_ptr<OneDnnExecution> make_execution(const Prepared& prepared, int64_t batch) {
    const Int8ConvParams& p = params;
    const memory bias_memory({{p.out_channels}, memory::data_type::f32, memory::format_tag::x},
                             onednn_engine(), bias.data());
    return std::make_unique<OneDnnExecution>(
        prepared.primitive,
        OneDnnExecution::Fixed{{DNNL_ARG_WEIGHTS, prepared.weights}, {DNNL_ARG_BIAS, bias_memory}},
        OneDnnExecution::Varying{
            {DNNL_ARG_SRC, nhwc(batch, p.in_channels, p.height, p.width, memory::data_type::u8)},
            {DNNL_ARG_DST, nhwc(batch, p.out_channels, p.out_height(), p.out_width(),
                                memory::data_type::u8)}},
        prepared.scratchpad);
  }
};

OneDnnInt8Conv::OneDnnInt8Conv(const Int8ConvParams& params, const int8_t* weights)
    : state_(std::make_unique<State>()) {
  Int8ConvParams p = params;
  p.batch = 0;
  validate(p);
  State& s = *state_;
  s.weights.assign(weights, weights + p.out_channels * (p.in_channels / p.groups) * p.kernel * p.kernel);
  for (int64_t o = 0; o < p.out_channels; ++o) {
    const float accumulator_scale = p.input_scale * p.weight_scales[o];
    s.scales.push_back(accumulator_scale / p.output_scale);
    s.bias.push_back(p.bias ? p.bias[o] / accumulator_scale : 0.0f);
  }
  p.weight_scales = nullptr;  // copied into scales and bias
  p.bias = nullptr;
  s.original = p;
  s.pre_pad = needs_explicit_padding(p);
  if (s.pre_pad) {
    p.height += 2 * p.padding;
    p.width += 2 * p.padding;
    p.padding = 0;
  }
  s.params = p;
}

OneDnnInt8Conv::~OneDnnInt8Conv() = default;
OneDnnInt8Conv::OneDnnInt8Conv(OneDnnInt8Conv&&) noexcept = default;
OneDnnInt8Conv& OneDnnInt8Conv::operator=(OneDnnInt8Conv&&) noexcept = default;

void OneDnnInt8Conv::run(int64_t batch, const uint8_t* x, const uint8_t* residual, uint8_t* y) {
  DISTILL_CHECK(batch >= 0, "batch size must be >= 0, got ", batch);
  const Int8ConvParams& p = state_->params;
  DISTILL_CHECK(p.residual == (residual != nullptr),
                "int8 convolution residual buffer given without a residual, or missing");
  if (batch == 0) return;
  Int8ConvParams sized = p;
  sized.batch = batch;
  SingleThreadForSmallWork threads(sized.macs());
  thread_local std::vector<uint8_t> padded;
  if (state_->pre_pad) {
    pad_input(state_->original, x, batch, padded);
    x = padded.data();
  }
  const int64_t out_bytes = batch * p.out_height() * p.out_width() * p.out_channels;
  // The sum post-op adds what the destination holds.
  if (residual && residual != y) std::memcpy(y, residual, static_cast<size_t>(out_bytes));
  Prepared& prepared = state_->prepared_for(batch);
  const OneDnnExecutionPool::Lease execution =
      prepared.executions.take([&] { return state_->make_execution(prepared, batch); });
  execution->execute({const_cast<uint8_t*>(x), y}, "int8 convolution");
}

void int8_global_average_pool(const uint8_t* x, int64_t batch, int64_t pixels, int64_t channels,
                              float scale, int32_t zero_point, float out_scale,
                              int32_t out_zero_point, uint8_t* out) {
  DISTILL_CHECK(batch >= 0 && pixels > 0 && channels > 0, "average pooling sizes must be > 0, got ",
                batch, " samples of ", pixels, " pixels x ", channels, " channels");
  std::vector<int32_t> sums(static_cast<size_t>(channels));
  for (int64_t n = 0; n < batch; ++n) {
    std::fill(sums.begin(), sums.end(), 0);
    const uint8_t* sample = x + n * pixels * channels;
    for (int64_t q = 0; q < pixels; ++q)
      for (int64_t c = 0; c < channels; ++c) sums[c] += sample[q * channels + c];
    for (int64_t c = 0; c < channels; ++c) {
      const float mean = static_cast<float>(sums[c]) / static_cast<float>(pixels);
      out[n * channels + c] = saturate_to_uint8(scale * (mean - static_cast<float>(zero_point)) / out_scale +
                                                static_cast<float>(out_zero_point));
    }
  }
}

}  // namespace distill::kernels
