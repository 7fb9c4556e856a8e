// Running an int8 text model from token ids: the bag's mean of rows, or the convolutions' int8
// GEMMs over each text's windows and their maxima; then the int8 head.
#include <algorithm>
#include <cstring>

#include "distill/core/error.h"
#include "distill/kernels/int8_gemm.h"
#include "distill/kernels/quantize.h"
#include "distill/runtime/int8_classifier.h"
#include "distill/runtime/int8_text_model.h"
#include "distill/text/bigram_hash.h"
#include "distill/text/tokenizer_options.h"

namespace distill::runtime {

/// The convolutional encoder's prepared state: every vocabulary row already in the sequence's
/// uint8 encoding, each width's GEMM, and scratch buffers reused across calls.
struct Int8TextRunner::Convolutions {
  std::vector<uint8_t> row_codes;  // vocab_size × E
  std::vector<kernels::Int8GemmParams> params;
  std::vector<kernels::OneDnnInt8Linear> fast;  // empty with the reference kernels
  int64_t widest = 1;
  std::vector<uint8_t> sequences;  // batch × positions × E
  std::vector<uint8_t> windows;    // windows × width·E
  std::vector<float> outputs;      // windows × filters
  std::vector<int64_t> lengths;    // batch
};

Int8TextRunner::Int8TextRunner(const Int8TextModel& model, int threads)
    : Int8TextRunner(model, threads, Int8Kernels::kOneDnn) {}

Int8TextRunner::Int8TextRunner(const Int8TextModel& model, int threads, Int8Kernels kernels)
    : model_(&model) {
  validate_int8_text_model(model, "int8 text model");
  head_ = std::make_unique<Int8Classifier>(model.head, kernels, threads);
  if (model.encoder != TextEncoder::kConvolutions) return;
  convolutions_ = std::make_unique<Convolutions>();
  Convolutions& c = *convolutions_;
  const int64_t width = model.embedding_dim;
  c.row_codes.resize(static_cast<size_t>(model.vocab_size * width));
  std::vector<float> row(static_cast<size_t>(width));
  for (int64_t r = 0; r < model.vocab_size; ++r) {
    const float scale = model.row_scales[static_cast<size_t>(r)];
    for (int64_t e = 0; e < width; ++e)
      row[static_cast<size_t>(e)] = scale * model.embeddings[static_cast<size_t>(r * width + e)];
    kernels::quantize_to_uint8(row.data(), width, model.sequence_scale, model.sequence_zero_point,
                               c.row_codes.data() + r * width);
  }
  for (const QuantizedTextConvolution& conv : model.convolutions) {
    kernels::Int8GemmParams p;
    p.n = conv.filters;
    p.k = conv.width * width;
    p.input_scale = model.sequence_scale;
    p.input_zero_point = model.sequence_zero_point;
    p.weight_scales = conv.weight_scales.data();
    p.bias = conv.bias.data();
    p.output = kernels::Int8Output::kFloat;
    c.params.push_back(p);
    if (kernels == Int8Kernels::kOneDnn) c.fast.emplace_back(p, conv.weights.data());
    c.widest = std::max(c.widest, conv.width);
  }
}

Int8TextRunner::~Int8TextRunner() = default;
Int8TextRunner::Int8TextRunner(Int8TextRunner&&) noexcept = default;

std::vector<int64_t> Int8TextRunner::model_row(const std::vector<int32_t>& ids) const {
  std::vector<int64_t> row;
  row.reserve(static_cast<size_t>(model_->max_tokens));
  if (model_->cls_first) row.push_back(text::kClsTokenId);
  for (int32_t id : ids) {
    if (static_cast<int64_t>(row.size()) == model_->max_tokens) break;
    row.push_back(id);
  }
  return row;
}

namespace {

void check_token(const Int8TextModel& m, int64_t id) {
  DISTILL_CHECK(id >= 0 && id < m.vocab_size, "token id ", id, " is outside the vocabulary [0, ",
                m.vocab_size, ")");
}

}  // namespace

void Int8TextRunner::pool(const int64_t* rows, int64_t batch, int64_t length, float* pooled) {
  if (model_->encoder == TextEncoder::kBag) pool_bag(rows, batch, length, pooled);
  else pool_convolutions(rows, batch, length, pooled);
}

void Int8TextRunner::pool_bag(const int64_t* rows, int64_t batch, int64_t length,
                              float* pooled) const {
  const Int8TextModel& m = *model_;
  const int64_t width = m.embedding_dim;
  std::vector<float> sum(static_cast<size_t>(width));
  const auto add_row = [&](int64_t r) {
    const int8_t* codes = m.embeddings.data() + r * width;
    const float scale = m.row_scales[static_cast<size_t>(r)];
    for (int64_t e = 0; e < width; ++e) sum[static_cast<size_t>(e)] += scale * codes[e];
  };
  for (int64_t b = 0; b < batch; ++b) {
    std::fill(sum.begin(), sum.end(), 0.0f);
    int64_t count = 0, previous = -1;
    for (int64_t i = 0; i < length; ++i) {
      const int64_t id = rows[b * length + i];
      check_token(m, id);
      if (!text::bag_counts_token(id)) continue;
      add_row(id);
      ++count;
      if (m.bigram_buckets > 0 && previous >= 0) {
        add_row(m.vocab_size + text::bigram_bucket(previous, id, m.bigram_buckets));
        ++count;
      }
      previous = id;
    }
    float* out = pooled + b * width;
    for (int64_t e = 0; e < width; ++e)
      out[e] = count > 0 ? sum[static_cast<size_t>(e)] / static_cast<float>(count) : 0.0f;
  }
}

void Int8TextRunner::pool_convolutions(const int64_t* rows, int64_t batch, int64_t length,
                                       float* pooled) {
  const Int8TextModel& m = *model_;
  Convolutions& c = *convolutions_;
  const int64_t width = m.embedding_dim;
  // Rows shorter than the widest convolution are padded to it, as training's batches were.
  const int64_t positions = std::max(length, c.widest);
  c.sequences.assign(static_cast<size_t>(batch * positions * width),
                     static_cast<uint8_t>(m.sequence_zero_point));
  c.lengths.assign(static_cast<size_t>(batch), 0);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t tokens = 0;
    for (int64_t i = 0; i < length; ++i) {
      const int64_t id = rows[b * length + i];
      check_token(m, id);
      tokens += id != text::kPadTokenId ? 1 : 0;
      std::memcpy(c.sequences.data() + (b * positions + i) * width, c.row_codes.data() + id * width,
                  static_cast<size_t>(width));
    }
    c.lengths[static_cast<size_t>(b)] = std::max<int64_t>(tokens, 1);
  }
  const int64_t pooled_width = m.head_input_width();
  int64_t first_filter = 0;
  for (size_t k = 0; k < m.convolutions.size(); ++k) {
    const QuantizedTextConvolution& conv = m.convolutions[k];
    // Every window of every row, each a contiguous run of the row's codes: one GEMM.
    const int64_t per_text = positions - conv.width + 1, span = conv.width * width;
    const int64_t windows = batch * per_text;
    c.windows.resize(static_cast<size_t>(windows * span));
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < per_text; ++t)
        std::memcpy(c.windows.data() + (b * per_text + t) * span,
                    c.sequences.data() + (b * positions + t) * width, static_cast<size_t>(span));
    c.outputs.resize(static_cast<size_t>(windows * conv.filters));
    if (c.fast.empty()) {
      kernels::Int8GemmParams p = c.params[k];
      p.m = windows;
      kernels::reference_int8_gemm(p, c.windows.data(), conv.weights.data(), c.outputs.data());
    } else {
      c.fast[k].run(windows, c.windows.data(), c.outputs.data());
    }
    // ReLU and each filter's maximum over the text's own windows (0 .. tokens − width).
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t last = std::max<int64_t>(c.lengths[static_cast<size_t>(b)] - conv.width, 0);
      float* out = pooled + b * pooled_width + first_filter;
      std::fill(out, out + conv.filters, 0.0f);
      for (int64_t t = 0; t <= last; ++t) {
        const float* y = c.outputs.data() + (b * per_text + t) * conv.filters;
        for (int64_t f = 0; f < conv.filters; ++f) out[f] = std::max(out[f], y[f]);
      }
    }
    first_filter += conv.filters;
  }
}

void Int8TextRunner::logits(const int64_t* rows, int64_t batch, int64_t length, float* logits) {
  pooled_.resize(static_cast<size_t>(batch * model_->head_input_width()));
  pool(rows, batch, length, pooled_.data());
  head_->logits(pooled_.data(), batch, logits);
}

}  // namespace distill::runtime
