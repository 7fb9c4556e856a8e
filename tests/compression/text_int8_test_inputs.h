// Inputs the int8 text exporters' tests share: token rows as the text data makes them, the
// runtime context, and the check that holds a runtime model to its libtorch simulation, to the
// reference kernels and to the fp32 student.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/compression/int8_export.h"
#include "distill/compression/text_int8_common.h"
#include "distill/runtime/int8_classifier.h"
#include "distill/runtime/int8_text_model.h"

namespace distill::compression::testing {

/// n rows of `length`: <cls>, 1 to length − 1 tokens in [4, vocab), padding.
inline at::Tensor token_rows(int64_t n, int64_t length, int64_t vocab = 50) {
  at::Tensor ids = at::zeros({n, length}, at::kLong);
  for (int64_t i = 0; i < n; ++i) {
    ids[i][0] = 2;
    const int64_t tokens = 1 + i % (length - 1);
    ids[i].narrow(0, 1, tokens).copy_(at::randint(4, vocab, {tokens}, at::kLong));
  }
  return ids;
}

inline TextModelContext text_context(int64_t max_tokens) {
  data::TextEncodingOptions encoding;
  encoding.max_tokens = max_tokens;
  return {"tokenizer bytes", encoding, {"a", "b", "c", "d"}};
}

/// The runtime's head inputs and logits for `ids` equal `simulated_pooled` and its head's
/// simulation; the reference kernels give the oneDNN ones' head inputs; the logits stay within
/// 5 % of the fp32 logits' spread and agree on at least `least_agreement` texts. Returns the
/// runtime's logits.
inline at::Tensor expect_runtime_matches(const runtime::Int8TextModel& int8, const at::Tensor& ids,
                                         const at::Tensor& simulated_pooled,
                                         const at::Tensor& fp32_logits, int64_t least_agreement) {
  const int64_t n = ids.size(0), length = ids.size(1), width = int8.head_input_width();
  runtime::Int8TextRunner fast(int8, 1, runtime::Int8Kernels::kOneDnn);
  runtime::Int8TextRunner reference(int8, 1, runtime::Int8Kernels::kReference);
  at::Tensor pooled = at::empty({n, width}), pooled_reference = at::empty({n, width});
  fast.pool(ids.data_ptr<int64_t>(), n, length, pooled.data_ptr<float>());
  reference.pool(ids.data_ptr<int64_t>(), n, length, pooled_reference.data_ptr<float>());
  EXPECT_TRUE(at::allclose(pooled, simulated_pooled, 1e-4, 1e-4))
      << (pooled - simulated_pooled).abs().max();
  EXPECT_TRUE(at::allclose(pooled, pooled_reference, 1e-5, 1e-5));

  at::Tensor logits = at::empty({n, int8.head.num_classes});
  fast.logits(ids.data_ptr<int64_t>(), n, length, logits.data_ptr<float>());
  const at::Tensor expected = simulate_int8_logits(int8.head, simulated_pooled);
  EXPECT_TRUE(at::allclose(logits, expected, 1e-4, 1e-4)) << (logits - expected).abs().max();

  const double spread = (fp32_logits.max() - fp32_logits.min()).item<double>();
  EXPECT_LT((logits - fp32_logits).abs().max().item<double>(), 0.05 * spread)
      << (logits - fp32_logits).abs().max() << " of " << spread;
  EXPECT_GE(logits.argmax(1).eq(fp32_logits.argmax(1)).sum().item<int64_t>(), least_agreement);
  return logits;
}

/// Runners of 2 and 3 threads, sharing out a batch of `ids` (enough texts to split), give the
/// head inputs of one thread's reference kernels, and one thread's logits — on the whole batch
/// and on a shorter one, whose split falls elsewhere.
inline void expect_threads_match_reference(const runtime::Int8TextModel& int8,
                                           const at::Tensor& ids) {
  const int64_t n = ids.size(0), length = ids.size(1), width = int8.head_input_width();
  at::Tensor reference = at::empty({n, width});
  runtime::Int8TextRunner(int8, 1, runtime::Int8Kernels::kReference)
      .pool(ids.data_ptr<int64_t>(), n, length, reference.data_ptr<float>());
  // The logits: each thread runs its texts through its own copy of the head.
  const int64_t classes = int8.head.num_classes;
  at::Tensor one_thread_logits = at::empty({n, classes});
  runtime::Int8TextRunner(int8, 1, runtime::Int8Kernels::kOneDnn)
      .logits(ids.data_ptr<int64_t>(), n, length, one_thread_logits.data_ptr<float>());
  for (int threads : {2, 3}) {
    runtime::Int8TextRunner runner(int8, threads, runtime::Int8Kernels::kOneDnn);
    for (int64_t batch : {n, n - n / 5}) {
      at::Tensor pooled = at::full({batch, width}, -1.0f);
      runner.pool(ids.data_ptr<int64_t>(), batch, length, pooled.data_ptr<float>());
      EXPECT_TRUE(at::allclose(pooled, reference.narrow(0, 0, batch), 1e-5, 1e-5))
          << threads << " threads, batch " << batch << ": "
          << (pooled - reference.narrow(0, 0, batch)).abs().max();
      at::Tensor logits = at::full({batch, classes}, -1.0f);
      runner.logits(ids.data_ptr<int64_t>(), batch, length, logits.data_ptr<float>());
      EXPECT_TRUE(at::allclose(logits, one_thread_logits.narrow(0, 0, batch), 1e-5, 1e-5))
          << threads << " threads, batch " << batch << ": logits differ by "
          << (logits - one_thread_logits.narrow(0, 0, batch)).abs().max();
    }
  }
}

}  // namespace distill::compression::testing
