// The mean embedding bag, forward and backward in plain loops:
//   forward  pooled[b] = Σ_{i in bag b} table[rows[i]] / |b|
//   backward dtable    = 0;  dtable[rows[i]] += dpooled[b] / |b|  for every i in bag b
#include "distill/ops/embedding_bag.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "distill/core/error.h"
#include "distill/kernels/compute_path.h"

namespace distill::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Tensor embedding_bag_mean_reference(const at::Tensor& table, const at::Tensor& rows,
                                       const at::Tensor& offsets) {
  return std::get<0>(at::embedding_bag(table, rows, offsets, /*scale_grad_by_freq=*/false,
                                       /*mode=*/1));
}

/// The end of bag b: the next bag's offset, or N for the last.
int64_t bag_end(const int64_t* offsets, int64_t bags, int64_t rows, int64_t b) {
  return b + 1 < bags ? offsets[b + 1] : rows;
}

void check_bags(const at::Tensor& table, const at::Tensor& rows, const at::Tensor& offsets) {
  DISTILL_CHECK(table.dim() == 2 && rows.dim() == 1 && offsets.dim() == 1,
                "embedding_bag_mean takes a (R, E) table, (N) rows and (B) offsets; got ",
                table.sizes(), ", ", rows.sizes(), " and ", offsets.sizes());
  DISTILL_CHECK(rows.scalar_type() == at::kLong && offsets.scalar_type() == at::kLong,
                "embedding_bag_mean's rows and offsets must be int64");
  const int64_t* o = offsets.data_ptr<int64_t>();
  const int64_t bags = offsets.size(0), n = rows.size(0), r = table.size(0);
  for (int64_t b = 0; b < bags; ++b)
    DISTILL_CHECK((b == 0 ? o[b] == 0 : o[b] >= o[b - 1]) && o[b] <= n, "bag ", b,
                  " starts at offset ", o[b], ": offsets must start at 0, ascend and stay within ",
                  n, " rows");
  const int64_t* ids = rows.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    DISTILL_CHECK(ids[i] >= 0 && ids[i] < r, "row ", ids[i], " at position ", i,
                  " is outside the table's ", r, " rows");
}

class EmbeddingBagMean : public torch::autograd::Function<EmbeddingBagMean> {
 public:
  // table: (R, E); rows: (N); offsets: (B) -> (B, E)
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& table, const at::Tensor& rows,
                            const at::Tensor& offsets) {
    const at::Tensor t = table.contiguous();
    const int64_t bags = offsets.size(0), n = rows.size(0), width = t.size(1);
    at::Tensor pooled = at::empty({bags, width}, t.options());
    const float* data = t.data_ptr<float>();
    const int64_t* ids = rows.data_ptr<int64_t>();
    const int64_t* o = offsets.data_ptr<int64_t>();
    float* out = pooled.data_ptr<float>();
    // A bag is ~100 rows of 64 floats: 16 bags per task outlast waking a thread.
    at::parallel_for(0, bags, 16, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        float* sum = out + b * width;
        std::fill(sum, sum + width, 0.0f);
        const int64_t first = o[b], last = bag_end(o, bags, n, b);
        for (int64_t i = first; i < last; ++i) {
          const float* row = data + ids[i] * width;
          for (int64_t e = 0; e < width; ++e) sum[e] += row[e];
        }
        if (last > first) {
          const float scale = 1.0f / static_cast<float>(last - first);
          for (int64_t e = 0; e < width; ++e) sum[e] *= scale;
        }
      }
    });
    ctx->save_for_backward({rows, offsets});
    ctx->saved_data["table_rows"] = t.size(0);
    return pooled;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& rows = saved[0];
    const at::Tensor& offsets = saved[1];
    if (!ctx->needs_input_grad(0)) return {at::Tensor(), at::Tensor(), at::Tensor()};
    const at::Tensor dpooled = grad_outputs[0].contiguous();
    const int64_t bags = offsets.size(0), n = rows.size(0), width = dpooled.size(1);
    at::Tensor dtable = at::zeros({ctx->saved_data["table_rows"].toInt(), width}, dpooled.options());
    const float* g = dpooled.data_ptr<float>();
    const int64_t* ids = rows.data_ptr<int64_t>();
    const int64_t* o = offsets.data_ptr<int64_t>();
    float* d = dtable.data_ptr<float>();
    // Bags share rows, so one thread adds them all (N·E adds: tens of microseconds).
    for (int64_t b = 0; b < bags; ++b) {
      const int64_t first = o[b], last = bag_end(o, bags, n, b);
      if (last == first) continue;
      const float scale = 1.0f / static_cast<float>(last - first);
      const float* gb = g + b * width;
      for (int64_t i = first; i < last; ++i) {
        float* row = d + ids[i] * width;
        for (int64_t e = 0; e < width; ++e) row[e] += gb[e] * scale;
      }
    }
    return {dtable, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor fast_embedding_bag_mean(const at::Tensor& table, const at::Tensor& rows,
                                   const at::Tensor& offsets) {
  const bool applies = table.device().is_cpu() && table.scalar_type() == at::kFloat &&
                       table.layout() == at::kStrided && rows.device().is_cpu() &&
                       offsets.device().is_cpu();
  if (!applies) return embedding_bag_mean_reference(table, rows, offsets);
  const at::Tensor r = rows.contiguous(), o = offsets.contiguous();
  check_bags(table, r, o);
  return EmbeddingBagMean::apply(table, r, o);
}

at::Tensor embedding_bag_mean(const at::Tensor& table, const at::Tensor& rows,
                              const at::Tensor& offsets) {
  if (kernels::compute_path() == kernels::ComputePath::kFast)
    return fast_embedding_bag_mean(table, rows, offsets);
  return embedding_bag_mean_reference(table, rows, offsets);
}

}  // namespace distill::ops
