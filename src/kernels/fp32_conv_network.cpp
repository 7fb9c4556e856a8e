// Reference and oneDNN fp32 convolution networks (convolutions + global average pooling).
#include "distill/kernels/fp32_conv_network.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "distill/core/error.h"
#include "onednn_engine.h"
#include "small_work_threads.h"

namespace distill::kernels {
namespace {

using dnnl::memory;

int64_t out_size(int64_t in, const Fp32ConvLayer& l) {
  return (in + 2 * l.padding - l.kernel) / l.stride + 1;
}

/// (C, H, W) of every layer's output, and of the input at index 0 (layer i is at i + 1).
std::vector<std::vector<int64_t>> shapes(const Fp32ConvNetwork& network) {
  std::vector<std::vector<int64_t>> out{network.input_shape};
  for (const Fp32ConvLayer& l : network.layers) {
    const std::vector<int64_t>& in = out[static_cast<size_t>(l.input + 1)];
    out.push_back({l.out_channels, out_size(in[1], l), out_size(in[2], l)});
  }
  return out;
}

memory::dims weight_dims(const Fp32ConvLayer& l) {
  if (l.groups == 1) return {l.out_channels, l.in_channels, l.kernel, l.kernel};
  return {l.groups, l.out_channels / l.groups, l.in_channels / l.groups, l.kernel, l.kernel};
}

/// The clamp as oneDNN eltwise post-ops: ReLU when it is one, clip otherwise.
void append_clamp(const Fp32ConvLayer& l, dnnl::post_ops& post_ops) {
  const bool low = std::isfinite(l.clamp_min), high = std::isfinite(l.clamp_max);
  if (low && !high && l.clamp_min == 0.0f)
    post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  else if (low || high)
    post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, low ? l.clamp_min : -1e30f,
                            high ? l.clamp_max : 1e30f);
}

/// A human-readable layout: "plain" or the inner blocks, e.g. "blocked 16 on dim 1".
std::string describe_layout(const memory::desc& desc) {
  const dnnl_blocking_desc_t& blocking = desc.data.format_desc.blocking;
  if (blocking.inner_nblks == 0) return "plain";
  std::string out = "blocked";
  for (int i = 0; i < blocking.inner_nblks; ++i)
    out += detail::concat(" ", blocking.inner_blks[i], " on dim ", blocking.inner_idxs[i]);
  return out;
}

}  // namespace

int64_t Fp32ConvLayer::macs(int64_t height, int64_t width) const {
  return out_size(height, *this) * out_size(width, *this) * out_channels *
         (in_channels / std::max<int64_t>(groups, 1)) * kernel * kernel;
}

int64_t Fp32ConvNetwork::pooled_channels() const {
  return layers.empty() ? 0 : layers.back().out_channels;
}

int64_t Fp32ConvNetwork::macs_per_sample() const {
  const std::vector<std::vector<int64_t>> s = shapes(*this);
  int64_t total = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::vector<int64_t>& in = s[static_cast<size_t>(layers[i].input + 1)];
    total += layers[i].macs(in[1], in[2]);
  }
  return total;
}

void validate(const Fp32ConvNetwork& network) {
  DISTILL_CHECK(network.input_shape.size() == 3 && network.input_shape[0] > 0 &&
                    network.input_shape[1] > 0 && network.input_shape[2] > 0,
                "a convolution network's input shape must be (C, H, W) > 0, got ",
                network.input_shape.size(), " dimensions");
  DISTILL_CHECK(!network.layers.empty(), "a convolution network needs at least one layer");
  std::vector<std::vector<int64_t>> s{network.input_shape};
  for (size_t i = 0; i < network.layers.size(); ++i) {
    const Fp32ConvLayer& l = network.layers[i];
    const int64_t index = static_cast<int64_t>(i);
    DISTILL_CHECK(l.input >= -1 && l.input < index, "convolution layer ", i, " reads layer ",
                  l.input, "; it can read the input (-1) or layers 0..", index - 1);
    DISTILL_CHECK(l.residual >= -1 && l.residual < index, "convolution layer ", i,
                  " adds layer ", l.residual, "; it can add none (-1) or layers 0..", index - 1);
    const std::vector<int64_t>& in = s[static_cast<size_t>(l.input + 1)];
    DISTILL_CHECK(l.in_channels == in[0], "convolution layer ", i, " takes ", l.in_channels,
                  " channels but its input has ", in[0]);
    DISTILL_CHECK(l.out_channels > 0 && l.kernel > 0 && l.stride > 0 && l.padding >= 0 &&
                      in[1] + 2 * l.padding >= l.kernel && in[2] + 2 * l.padding >= l.kernel,
                  "convolution layer ", i, ": kernel ", l.kernel, ", stride ", l.stride,
                  ", padding ", l.padding, ", ", l.out_channels, " outputs do not fit a ", in[1],
                  "x", in[2], " input");
    DISTILL_CHECK(l.groups > 0 && l.in_channels % l.groups == 0 && l.out_channels % l.groups == 0,
                  "convolution layer ", i, ": groups ", l.groups, " must divide ", l.in_channels,
                  " and ", l.out_channels, " channels");
    const size_t weights =
        static_cast<size_t>(l.out_channels * (l.in_channels / l.groups) * l.kernel * l.kernel);
    DISTILL_CHECK(l.weights.size() == weights && l.bias.size() == static_cast<size_t>(l.out_channels),
                  "convolution layer ", i, " has ", l.weights.size(), " weights and ",
                  l.bias.size(), " biases; expected ", weights, " and ", l.out_channels);
    DISTILL_CHECK(!(l.clamp_min > l.clamp_max), "convolution layer ", i, ": clamp [", l.clamp_min,
                  ", ", l.clamp_max, "] is empty");
    s.push_back({l.out_channels, out_size(in[1], l), out_size(in[2], l)});
    if (l.residual >= 0)
      DISTILL_CHECK(s[static_cast<size_t>(l.residual + 1)] == s.back(), "convolution layer ", i,
                    " adds layer ", l.residual, " whose output shape differs from its own");
  }
}

void reference_fp32_conv_network(const Fp32ConvNetwork& network, int64_t batch, const float* x,
                                 float* pooled) {
  validate(network);
  DISTILL_CHECK(batch >= 0, "batch size must be >= 0, got ", batch);
  const std::vector<std::vector<int64_t>> s = shapes(network);
  const auto numel = [](const std::vector<int64_t>& shape) { return shape[0] * shape[1] * shape[2]; };
  for (int64_t n = 0; n < batch; ++n) {
    // values[0]: this sample's input; values[i + 1]: layer i's output, (C, H, W).
    std::vector<std::vector<float>> values{
        std::vector<float>(x + n * numel(s[0]), x + (n + 1) * numel(s[0]))};
    for (size_t i = 0; i < network.layers.size(); ++i) {
      const Fp32ConvLayer& l = network.layers[i];
      const std::vector<int64_t>& in_shape = s[static_cast<size_t>(l.input + 1)];
      const std::vector<float>& in = values[static_cast<size_t>(l.input + 1)];
      const int64_t height = in_shape[1], width = in_shape[2];
      const int64_t out_h = s[i + 1][1], out_w = s[i + 1][2];
      const int64_t group_in = l.in_channels / l.groups, group_out = l.out_channels / l.groups;
      std::vector<float> out(static_cast<size_t>(numel(s[i + 1])));
      for (int64_t o = 0; o < l.out_channels; ++o) {
        const int64_t first = o / group_out * group_in;
        for (int64_t r = 0; r < out_h; ++r) {
          for (int64_t c = 0; c < out_w; ++c) {
            double sum = l.bias[o];
            for (int64_t k = 0; k < group_in; ++k)
              for (int64_t di = 0; di < l.kernel; ++di)
                for (int64_t dj = 0; dj < l.kernel; ++dj) {
                  const int64_t row = r * l.stride + di - l.padding;
                  const int64_t col = c * l.stride + dj - l.padding;
                  if (row < 0 || row >= height || col < 0 || col >= width) continue;
                  sum += static_cast<double>(in[((first + k) * height + row) * width + col]) *
                         l.weights[((o * group_in + k) * l.kernel + di) * l.kernel + dj];
                }
            const size_t at = static_cast<size_t>((o * out_h + r) * out_w + c);
            if (l.residual >= 0) sum += values[static_cast<size_t>(l.residual + 1)][at];
            out[at] = std::min(std::max(static_cast<float>(sum), l.clamp_min), l.clamp_max);
          }
        }
      }
      values.push_back(std::move(out));
    }
    const std::vector<int64_t>& last = s.back();
    const int64_t pixels = last[1] * last[2];
    for (int64_t c = 0; c < last[0]; ++c) {
      double sum = 0;
      for (int64_t q = 0; q < pixels; ++q) sum += values.back()[static_cast<size_t>(c * pixels + q)];
      pooled[n * last[0] + c] = static_cast<float>(sum / static_cast<double>(pixels));
    }
  }
}

/// Everything one batch size needs: primitives, packed weights, activation buffers, and each
/// execution's arguments, built once.
struct OneDnnFp32ConvNetwork::Plan {
  struct Step {
    dnnl::primitive primitive;
    std::unordered_map<int, memory> arguments;
    int64_t macs = 0;
    /// When the residual is not added in place: a copy of it into the destination first.
    std::optional<dnnl::reorder> residual_copy;
    memory residual_source, destination;
  };
  memory input;  // the caller's x, (batch, C, H, W) plain
  std::vector<Step> steps;
  std::vector<memory> outputs;  // each layer's destination
  dnnl::primitive pool;
  std::unordered_map<int, memory> pool_arguments;
  memory pooled;  // the caller's buffer, (batch, C, 1, 1) plain
  /// When pooling writes another layout: its destination and the copy into `pooled`.
  memory pooled_blocked;
  std::optional<dnnl::reorder> pooled_copy;
};

struct OneDnnFp32ConvNetwork::State {
  Fp32ConvNetwork network;
  std::vector<std::vector<int64_t>> shapes;
  std::mutex mutex;  // one call at a time
  std::unordered_map<int64_t, std::unique_ptr<Plan>> plans;

  /// Whether layer i may write over its residual's buffer: no later layer reads the residual,
  /// and layer i does not read that buffer as its input.
  bool residual_in_place(size_t i, const std::vector<const void*>& buffer_of_output) const {
    const Fp32ConvLayer& l = network.layers[i];
    for (size_t j = i + 1; j < network.layers.size(); ++j)
      if (network.layers[j].input == l.residual || network.layers[j].residual == l.residual)
        return false;
    return l.input < 0 || buffer_of_output[static_cast<size_t>(l.input)] !=
                              buffer_of_output[static_cast<size_t>(l.residual)];
  }

  Plan& plan_for(int64_t batch) {
    auto found = plans.find(batch);
    if (found != plans.end()) return *found->second;
    const dnnl::engine& engine = onednn_engine();
    auto plan = std::make_unique<Plan>();
    const std::vector<int64_t>& in = network.input_shape;
    plan->input = memory({{batch, in[0], in[1], in[2]}, memory::data_type::f32,
                          memory::format_tag::nchw},
                         engine, DNNL_MEMORY_NONE);
    std::vector<const void*> buffer_of_output;
    for (size_t i = 0; i < network.layers.size(); ++i) {
      const Fp32ConvLayer& l = network.layers[i];
      const memory& source = l.input < 0 ? plan->input : plan->outputs[static_cast<size_t>(l.input)];
      const std::vector<int64_t>& out = shapes[i + 1];
      const memory::desc any_dst({batch, out[0], out[1], out[2]}, memory::data_type::f32,
                                 memory::format_tag::any);
      const memory::desc any_weights(weight_dims(l), memory::data_type::f32,
                                     memory::format_tag::any);
      const memory::desc bias_desc({l.out_channels}, memory::data_type::f32, memory::format_tag::x);
      dnnl::post_ops post_ops;
      if (l.residual >= 0) post_ops.append_sum(1.0f);
      append_clamp(l, post_ops);
      dnnl::primitive_attr attributes = onednn_attributes();
      attributes.set_post_ops(post_ops);
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
          source.get_desc(), any_weights, bias_desc, any_dst, {l.stride, l.stride},
          {l.padding, l.padding}, {l.padding, l.padding});
      const dnnl::convolution_forward::primitive_desc pd(desc, attributes, engine);

      Plan::Step step;
      step.primitive = dnnl::convolution_forward(pd);
      step.macs = batch * l.macs(shapes[static_cast<size_t>(l.input + 1)][1],
                                 shapes[static_cast<size_t>(l.input + 1)][2]);
      const memory::format_tag plain = l.groups == 1 ? memory::format_tag::oihw
                                                     : memory::format_tag::goihw;
      memory given({weight_dims(l), memory::data_type::f32, plain}, engine,
                   const_cast<float*>(l.weights.data()));
      memory packed(pd.weights_desc(), engine);
      dnnl::reorder(given, packed).execute(onednn_stream(), given, packed);
      onednn_stream().wait();

      memory destination;
      if (l.residual >= 0) {
        const memory& residual = plan->outputs[static_cast<size_t>(l.residual)];
        if (residual.get_desc() == pd.dst_desc() && residual_in_place(i, buffer_of_output)) {
          destination = memory(pd.dst_desc(), engine, residual.get_data_handle());
        } else {
          destination = memory(pd.dst_desc(), engine);
          step.residual_copy.emplace(residual, destination);
          step.residual_source = residual;
        }
      } else {
        destination = memory(pd.dst_desc(), engine);
      }
      step.destination = destination;
      step.arguments = {{DNNL_ARG_SRC, source},
                        {DNNL_ARG_WEIGHTS, packed},
                        {DNNL_ARG_BIAS, memory(bias_desc, engine, const_cast<float*>(l.bias.data()))},
                        {DNNL_ARG_DST, destination},
                        {DNNL_ARG_SCRATCHPAD, memory(pd.scratchpad_desc(), engine)}};
      buffer_of_output.push_back(destination.get_data_handle());
      plan->outputs.push_back(destination);
      plan->steps.push_back(std::move(step));
    }

    // Pooling into the layout oneDNN picks (its fast kernels keep the source's blocking; a
    // plain destination falls back to a reference kernel that took a third of the network's
    // time), then a reorder into the caller's plain (batch, C) buffer when that layout differs.
    const memory& last = plan->outputs.back();
    const std::vector<int64_t>& out = shapes.back();
    const memory::desc pooled_desc({batch, out[0], 1, 1}, memory::data_type::f32,
                                   memory::format_tag::nchw);
    const memory::desc any_pooled({batch, out[0], 1, 1}, memory::data_type::f32,
                                  memory::format_tag::any);
    const dnnl::pooling_forward::desc pool_desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_avg_include_padding,
        last.get_desc(), any_pooled, {1, 1}, {out[1], out[2]}, {0, 0}, {0, 0});
    const dnnl::pooling_forward::primitive_desc pool_pd(pool_desc, onednn_attributes(), engine);
    plan->pool = dnnl::pooling_forward(pool_pd);
    plan->pooled = memory(pooled_desc, engine, DNNL_MEMORY_NONE);
    memory pool_destination = plan->pooled;
    if (pool_pd.dst_desc() != pooled_desc) {
      pool_destination = memory(pool_pd.dst_desc(), engine);
      plan->pooled_copy.emplace(pool_destination, plan->pooled);
      plan->pooled_blocked = pool_destination;
    }
    plan->pool_arguments = {{DNNL_ARG_SRC, last},
                            {DNNL_ARG_DST, pool_destination},
                            {DNNL_ARG_SCRATCHPAD, memory(pool_pd.scratchpad_desc(), engine)}};
    return *plans.emplace(batch, std::move(plan)).first->second;
  }
};

OneDnnFp32ConvNetwork::OneDnnFp32ConvNetwork(Fp32ConvNetwork network)
    : state_(std::make_unique<State>()) {
  validate(network);
  state_->shapes = shapes(network);
  state_->network = std::move(network);
}

OneDnnFp32ConvNetwork::~OneDnnFp32ConvNetwork() = default;
OneDnnFp32ConvNetwork::OneDnnFp32ConvNetwork(OneDnnFp32ConvNetwork&&) noexcept = default;
OneDnnFp32ConvNetwork& OneDnnFp32ConvNetwork::operator=(OneDnnFp32ConvNetwork&&) noexcept = default;

const Fp32ConvNetwork& OneDnnFp32ConvNetwork::network() const { return state_->network; }

void OneDnnFp32ConvNetwork::run(int64_t batch, const float* x, float* pooled) {
  execute(batch, x, pooled, nullptr);
}

std::vector<double> OneDnnFp32ConvNetwork::layer_seconds(int64_t batch, const float* x,
                                                          float* pooled, int repetitions) {
  DISTILL_CHECK(repetitions > 0, "repetitions must be > 0, got ", repetitions);
  const size_t steps = state_->network.layers.size() + 1;
  std::vector<std::vector<double>> samples(steps);
  std::vector<double> seconds;
  execute(batch, x, pooled, &seconds);  // warm-up; prepares the plan
  for (int r = 0; r < repetitions; ++r) {
    execute(batch, x, pooled, &seconds);
    for (size_t i = 0; i < steps; ++i) samples[i].push_back(seconds[i]);
  }
  std::vector<double> medians;
  for (std::vector<double>& s : samples) {
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(s.size() / 2), s.end());
    medians.push_back(s[s.size() / 2]);
  }
  return medians;
}

void OneDnnFp32ConvNetwork::execute(int64_t batch, const float* x, float* pooled,
                                    std::vector<double>* seconds) {
  DISTILL_CHECK(batch >= 0, "batch size must be >= 0, got ", batch);
  if (batch == 0) return;
  std::lock_guard<std::mutex> lock(state_->mutex);
  Plan& plan = state_->plan_for(batch);
  plan.input.set_data_handle(const_cast<float*>(x));
  plan.pooled.set_data_handle(pooled);
  dnnl::stream& stream = onednn_stream();
  if (seconds) seconds->clear();
  auto start = std::chrono::steady_clock::now();
  const auto lap = [&] {  // CPU streams run in order; waiting makes the lap the step's own
    if (!seconds) return;
    stream.wait();
    const auto now = std::chrono::steady_clock::now();
    seconds->push_back(std::chrono::duration<double>(now - start).count());
    start = now;
  };
  try {
    for (Plan::Step& step : plan.steps) {
      SingleThreadForSmallWork threads(step.macs);
      if (step.residual_copy) step.residual_copy->execute(stream, step.residual_source, step.destination);
      step.primitive.execute(stream, step.arguments);
      lap();
    }
    plan.pool.execute(stream, plan.pool_arguments);
    if (plan.pooled_copy) plan.pooled_copy->execute(stream, plan.pooled_blocked, plan.pooled);
    lap();
    stream.wait();
  } catch (const dnnl::error& e) {
    DISTILL_FAIL("oneDNN failed running a convolution network at batch ", batch, ": ", e.what());
  }
}

std::string OneDnnFp32ConvNetwork::layout(int64_t batch, size_t layer) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  const Plan& plan = state_->plan_for(batch);
  DISTILL_CHECK(layer < plan.outputs.size(), "layer ", layer, " of a network with ",
                plan.outputs.size(), " layers");
  return describe_layout(plan.outputs[layer].get_desc());
}

}  // namespace distill::kernels
