// Reference and oneDNN int8 GEMM, and the uint8 quantization helpers.
//
// oneDNN 2.x applies its output scales after the bias (dst = scale · (acc + bias)), so the bias
// is handed over in accumulator units, bias[j] / (a_scale · w_scale[j]); the reference keeps the
// float formula, and the test holding the two together checks that this conversion is right.
#include "distill/kernels/int8_gemm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include "distill/core/error.h"
#include "onednn_engine.h"
#include "onednn_execution.h"
#include "saturate_uint8.h"
#include "small_work_threads.h"

namespace distill::kernels {
namespace {

using dnnl::memory;

std::string cache_key(const Int8GemmParams& p) {
  return detail::concat(p.m, 'x', p.n, 'x', p.k, p.output == Int8Output::kFloat ? 'f' : 'u',
                        p.bias ? 'b' : '-');
}

OneDnnMatmul make_int8_matmul(const Int8GemmParams& p) {
  const memory::desc a_desc({p.m, p.k}, memory::data_type::u8, memory::dims{p.k, 1});
  const memory::desc w_desc({p.k, p.n}, memory::data_type::s8, memory::dims{1, p.k});
  const memory::desc bias_desc({1, p.n}, memory::data_type::f32, memory::dims{p.n, 1});
  const memory::desc y_desc(
      {p.m, p.n}, p.output == Int8Output::kFloat ? memory::data_type::f32 : memory::data_type::u8,
      memory::dims{p.n, 1});
  dnnl::primitive_attr attributes = onednn_attributes();
  attributes.set_output_scales(/*mask: per column*/ 1 << 1, {DNNL_RUNTIME_F32_VAL});
  attributes.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  if (p.output == Int8Output::kUint8)
    attributes.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
  const auto desc = p.bias ? dnnl::matmul::desc(a_desc, w_desc, bias_desc, y_desc)
                           : dnnl::matmul::desc(a_desc, w_desc, y_desc);
  return OneDnnMatmul(dnnl::matmul::primitive_desc(desc, attributes, onednn_engine()));
}

/// Per-column output scales: input_scale · w_scale[j] (/ output_scale for uint8 output).
std::vector<float> output_scales(const Int8GemmParams& p) {
  std::vector<float> scales(static_cast<size_t>(p.n));
  for (int64_t j = 0; j < p.n; ++j) {
    scales[j] = p.input_scale * p.weight_scales[j];
    if (p.output == Int8Output::kUint8) scales[j] /= p.output_scale;
  }
  return scales;
}

/// The bias in accumulator units, bias[j] / (input_scale · w_scale[j]) (see the top of the file).
std::vector<float> accumulator_bias(const Int8GemmParams& p) {
  std::vector<float> bias(static_cast<size_t>(p.n), 0.0f);
  if (p.bias)
    for (int64_t j = 0; j < p.n; ++j) bias[j] = p.bias[j] / (p.input_scale * p.weight_scales[j]);
  return bias;
}

memory::data_type output_type(const Int8GemmParams& p) {
  return p.output == Int8Output::kFloat ? memory::data_type::f32 : memory::data_type::u8;
}

}  // namespace

struct OneDnnInt8Linear::Prepared {
  OneDnnMatmul matmul;
  memory weights;
  OneDnnExecutionPool executions;
};

struct OneDnnInt8Linear::State {
  Int8GemmParams params;
  std::vector<int8_t> weights;
  std::vector<float> bias;
  std::vector<float> scales;
  std::mutex mutex;  // guards by_batch_size: threads may run different batch sizes at once
  std::unordered_map<int64_t, std::unique_ptr<Prepared>> by_batch_size;

  Prepared& prepared_for(int64_t m) {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = by_batch_size.find(m);
    if (found != by_batch_size.end()) return *found->second;
    const Int8GemmParams& p = params;
    const memory::desc a_desc({m, p.k}, memory::data_type::u8, memory::dims{p.k, 1});
    const memory::desc any_weights({p.k, p.n}, memory::data_type::s8, memory::format_tag::any);
    const memory::desc bias_desc({1, p.n}, memory::data_type::f32, memory::dims{p.n, 1});
    const memory::desc y_desc({m, p.n}, output_type(p), memory::dims{p.n, 1});
    dnnl::primitive_attr attributes = onednn_attributes();
    attributes.set_output_scales(1 << 1, scales);
    if (p.input_zero_point != 0) attributes.set_zero_points(DNNL_ARG_SRC, 0, {p.input_zero_point});
    if (p.output == Int8Output::kUint8 && p.output_zero_point != 0)
      attributes.set_zero_points(DNNL_ARG_DST, 0, {p.output_zero_point});
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_desc, any_weights, bias_desc, y_desc),
                                          attributes, onednn_engine());
    const dnnl::engine& engine = onednn_engine();
    memory plain({{p.k, p.n}, memory::data_type::s8, memory::dims{1, p.k}}, engine, weights.data());
    memory packed(pd.weights_desc(), engine);
    dnnl::reorder(plain, packed).execute(onednn_stream(), plain, packed);
    onednn_stream().wait();
    auto prepared = std::unique_ptr<Prepared>(new Prepared{OneDnnMatmul(pd), packed, {}});
    return *by_batch_size.emplace(m, std::move(prepared)).first->second;
  }

  /// Arguments for one caller's executions at batch size m.
  std::unique_ptr<OneDnnExecution> make_execution(const Prepared& prepared, int64_t m) {
    const Int8GemmParams& p = params;
    const memory bias_memory({{1, p.n}, memory::data_type::f32, memory::dims{p.n, 1}},
                             onednn_engine(), bias.data());
    return std::make_unique<OneDnnExecution>(
        prepared.matmul.primitive,
        OneDnnExecution::Fixed{{DNNL_ARG_WEIGHTS, prepared.weights}, {DNNL_ARG_BIAS, bias_memory}},
        OneDnnExecution::Varying{
            {DNNL_ARG_SRC, {{m, p.k}, memory::data_type::u8, memory::dims{p.k, 1}}},
            {DNNL_ARG_DST, {{m, p.n}, output_type(p), memory::dims{p.n, 1}}}},
        prepared.matmul.scratchpad);
  }
};

OneDnnInt8Linear::OneDnnInt8Linear(const Int8GemmParams& params, const int8_t* weights)
    : state_(std::make_unique<State>()) {
  Int8GemmParams p = params;
  p.m = 0;
  validate(p);
  DISTILL_CHECK(p.n > 0 && p.k > 0, "int8 linear layer sizes must be > 0, got n=", p.n, " k=", p.k);
  state_->weights.assign(weights, weights + p.n * p.k);
  state_->scales = output_scales(p);
  state_->bias = accumulator_bias(p);
  p.weight_scales = nullptr;  // copied into scales and bias; the caller's buffers may go away
  p.bias = nullptr;
  state_->params = p;
}

OneDnnInt8Linear::~OneDnnInt8Linear() = default;
OneDnnInt8Linear::OneDnnInt8Linear(OneDnnInt8Linear&&) noexcept = default;
OneDnnInt8Linear& OneDnnInt8Linear::operator=(OneDnnInt8Linear&&) noexcept = default;

void OneDnnInt8Linear::run(int64_t m, const uint8_t* a, void* y) {
  DISTILL_CHECK(m >= 0, "batch size must be >= 0, got ", m);
  if (m == 0) return;
  const Int8GemmParams& p = state_->params;
  SingleThreadForSmallWork threads(m * p.n * p.k);
  Prepared& prepared = state_->prepared_for(m);
  const OneDnnExecutionPool::Lease execution =
      prepared.executions.take([&] { return state_->make_execution(prepared, m); });
  execution->execute({const_cast<uint8_t*>(a), y}, "int8 linear layer");
}

void validate(const Int8GemmParams& p) {
  DISTILL_CHECK(p.m >= 0 && p.n >= 0 && p.k >= 0, "int8 GEMM sizes must be >= 0, got m=", p.m,
                " n=", p.n, " k=", p.k);
  DISTILL_CHECK(std::isfinite(p.input_scale) && p.input_scale > 0,
                "int8 GEMM input scale must be finite and > 0, got ", p.input_scale);
  DISTILL_CHECK(p.input_zero_point >= 0 && p.input_zero_point <= 255,
                "int8 GEMM input zero point must be in [0, 255], got ", p.input_zero_point);
  DISTILL_CHECK(p.weight_scales != nullptr || p.n == 0, "int8 GEMM needs weight scales");
  if (p.output == Int8Output::kUint8) {
    DISTILL_CHECK(std::isfinite(p.output_scale) && p.output_scale > 0,
                  "int8 GEMM output scale must be finite and > 0, got ", p.output_scale);
    DISTILL_CHECK(p.output_zero_point >= 0 && p.output_zero_point <= 255,
                  "int8 GEMM output zero point must be in [0, 255], got ", p.output_zero_point);
  }
}

void reference_int8_gemm(const Int8GemmParams& p, const uint8_t* a, const int8_t* weights,
                         void* y) {
  validate(p);
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      int32_t accumulator = 0;
      for (int64_t q = 0; q < p.k; ++q)
        accumulator += (static_cast<int32_t>(a[i * p.k + q]) - p.input_zero_point) *
                       static_cast<int32_t>(weights[j * p.k + q]);
      const float value = static_cast<float>(accumulator) * (p.input_scale * p.weight_scales[j]) +
                          (p.bias ? p.bias[j] : 0.0f);
      if (p.output == Int8Output::kFloat)
        static_cast<float*>(y)[i * p.n + j] = value;
      else
        static_cast<uint8_t*>(y)[i * p.n + j] =
            saturate_to_uint8(value / p.output_scale + static_cast<float>(p.output_zero_point));
    }
  }
}

void onednn_int8_gemm(const Int8GemmParams& p, const uint8_t* a, const int8_t* weights, void* y) {
  validate(p);
  if (p.m == 0 || p.n == 0) return;
  if (p.k == 0) {  // oneDNN rejects empty reductions; the product is the bias alone
    reference_int8_gemm(p, a, weights, y);
    return;
  }
  static PrimitiveCache<OneDnnMatmul> cache;
  const OneDnnMatmul& matmul = cache.get(cache_key(p), [&] { return make_int8_matmul(p); });
  SingleThreadForSmallWork threads(p.m * p.n * p.k);
  std::vector<float> scales = output_scales(p), bias = accumulator_bias(p);
  int32_t input_zero_point = p.input_zero_point, output_zero_point = p.output_zero_point;

  const dnnl::engine& engine = onednn_engine();
  const auto y_type = output_type(p);
  const memory::desc one_int({1}, memory::data_type::s32, memory::dims{1});
  // oneDNN's API takes non-const handles; it only reads the inputs.
  std::unordered_map<int, memory> arguments{
      {DNNL_ARG_SRC, memory({{p.m, p.k}, memory::data_type::u8, memory::dims{p.k, 1}}, engine,
                            const_cast<uint8_t*>(a))},
      {DNNL_ARG_WEIGHTS, memory({{p.k, p.n}, memory::data_type::s8, memory::dims{1, p.k}}, engine,
                                const_cast<int8_t*>(weights))},
      {DNNL_ARG_DST, memory({{p.m, p.n}, y_type, memory::dims{p.n, 1}}, engine, y)},
      {DNNL_ARG_ATTR_OUTPUT_SCALES,
       memory({{p.n}, memory::data_type::f32, memory::dims{1}}, engine, scales.data())},
      {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, memory(one_int, engine, &input_zero_point)},
      {DNNL_ARG_SCRATCHPAD, onednn_scratchpad(matmul.scratchpad)}};
  if (p.bias)
    arguments.emplace(DNNL_ARG_BIAS, memory({{1, p.n}, memory::data_type::f32, memory::dims{p.n, 1}},
                                            engine, bias.data()));
  if (p.output == Int8Output::kUint8)
    arguments.emplace(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST,
                      memory(one_int, engine, &output_zero_point));
  dnnl::stream& stream = onednn_stream();
  matmul.primitive.execute(stream, arguments);
  stream.wait();
}

}  // namespace distill::kernels
