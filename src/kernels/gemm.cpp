// Reference and oneDNN fp32 GEMM.
#include "distill/kernels/gemm.h"

#include <string>

#include "distill/core/error.h"
#include "onednn_engine.h"
#include "small_work_threads.h"

namespace distill::kernels {
namespace {

using dnnl::memory;

/// Memory descriptor of a row-major rows×cols operand stored transposed (cols×rows) when asked.
memory::desc operand_desc(int64_t rows, int64_t cols, bool transposed) {
  return memory::desc({rows, cols}, memory::data_type::f32,
                      transposed ? memory::dims{1, rows} : memory::dims{cols, 1});
}

std::string cache_key(const GemmShape& s, bool with_bias) {
  return detail::concat(s.m, 'x', s.n, 'x', s.k, s.transpose_a ? 'T' : 'N',
                        s.transpose_b ? 'T' : 'N', with_bias ? 'b' : '-');
}

}  // namespace

void validate(const GemmShape& shape) {
  DISTILL_CHECK(shape.m >= 0 && shape.n >= 0 && shape.k >= 0,
                "GEMM sizes must be >= 0, got m=", shape.m, " n=", shape.n, " k=", shape.k);
}

void reference_gemm_f32(const GemmShape& shape, const float* a, const float* b, const float* bias,
                        float* c) {
  validate(shape);
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = bias ? bias[j] : 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const float a_ip = shape.transpose_a ? a[p * m + i] : a[i * k + p];
        const float b_pj = shape.transpose_b ? b[j * k + p] : b[p * n + j];
        sum += static_cast<double>(a_ip) * b_pj;
      }
      c[i * n + j] = static_cast<float>(sum);
    }
  }
}

void onednn_gemm_f32(const GemmShape& shape, const float* a, const float* b, const float* bias,
                     float* c) {
  validate(shape);
  if (shape.m == 0 || shape.n == 0) return;
  if (shape.k == 0) {  // oneDNN rejects empty reductions; the product is the bias (or zero)
    for (int64_t i = 0; i < shape.m; ++i)
      for (int64_t j = 0; j < shape.n; ++j) c[i * shape.n + j] = bias ? bias[j] : 0.0f;
    return;
  }
  SingleThreadForSmallWork threads(shape.m * shape.n * shape.k);
  static PrimitiveCache<OneDnnMatmul> cache;
  const memory::desc a_desc = operand_desc(shape.m, shape.k, shape.transpose_a);
  const memory::desc b_desc = operand_desc(shape.k, shape.n, shape.transpose_b);
  const memory::desc c_desc = operand_desc(shape.m, shape.n, false);
  const memory::desc bias_desc({1, shape.n}, memory::data_type::f32, memory::dims{shape.n, 1});
  const OneDnnMatmul& matmul = cache.get(cache_key(shape, bias != nullptr), [&] {
    const auto desc = bias ? dnnl::matmul::desc(a_desc, b_desc, bias_desc, c_desc)
                           : dnnl::matmul::desc(a_desc, b_desc, c_desc);
    return OneDnnMatmul(dnnl::matmul::primitive_desc(desc, onednn_attributes(), onednn_engine()));
  });
  const dnnl::engine& engine = onednn_engine();
  // oneDNN's API takes non-const handles; it only reads the inputs.
  std::unordered_map<int, memory> arguments{
      {DNNL_ARG_SRC, memory(a_desc, engine, const_cast<float*>(a))},
      {DNNL_ARG_WEIGHTS, memory(b_desc, engine, const_cast<float*>(b))},
      {DNNL_ARG_DST, memory(c_desc, engine, c)}};
  if (bias) arguments.emplace(DNNL_ARG_BIAS, memory(bias_desc, engine, const_cast<float*>(bias)));
  onednn_run(matmul.primitive, std::move(arguments), matmul.scratchpad, "the fp32 GEMM");
}

}  // namespace distill::kernels
