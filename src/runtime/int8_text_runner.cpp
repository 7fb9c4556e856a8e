// Running an int8 text model from token ids: the bag's mean of rows (slices of the batch on the
// threads); the convolutions' int8 GEMMs over each text's windows and their maxima (chunks of
// texts shared among threads); or the bidirectional LSTM's int8 gate GEMMs with float state
// (slices of the batch on the threads); then, on the same thread, the int8 head.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "distill/core/error.h"
#include "distill/kernels/int8_gemm.h"
#include "distill/kernels/int8_rows.h"
#include "distill/kernels/lstm_cell.h"
#include "distill/kernels/quantize.h"
#include "distill/runtime/int8_classifier.h"
#include "distill/runtime/int8_text_model.h"
#include "distill/text/bigram_hash.h"
#include "distill/text/tokenizer_options.h"
#include "spinning_workers.h"

namespace distill::runtime {
namespace {

/// One int8 product y = x·Wᵀ (+ bias) with float output, by the reference kernel or oneDNN.
class Int8Product {
 public:
  Int8Product(const kernels::Int8GemmParams& params, const int8_t* weights, Int8Kernels kernels)
      : params_(params), weights_(weights) {
    if (kernels == Int8Kernels::kOneDnn)
      fast_ = std::make_unique<kernels::OneDnnInt8Linear>(params, weights);
  }
  void run(int64_t m, const uint8_t* x, float* y) {
    if (fast_) return fast_->run(m, x, y);
    kernels::Int8GemmParams p = params_;
    p.m = m;
    kernels::reference_int8_gemm(p, x, weights_, y);
  }
  /// A row count that varies from call to call (a batch's windows), rounded up so that it meets
  /// a bounded set of shapes — oneDNN prepares one primitive per row count — at a small cost:
  /// a multiple of the smallest power of two ≥ count/32 (16 shapes per doubling of the count,
  /// padding under 1/16 of the rows). Buffers hold padded_rows(m) rows; the padding rows'
  /// outputs are computed and never read. (Splitting the rows into fixed blocks instead costs
  /// ~5 % of the batch-256 throughput: oneDNN splits one large product better between threads.)
  static int64_t padded_rows(int64_t m) {
    int64_t granule = 1;
    while (granule * 32 < m) granule *= 2;
    return (m + granule - 1) / granule * granule;
  }

 private:
  kernels::Int8GemmParams params_;
  const int8_t* weights_;
  std::unique_ptr<kernels::OneDnnInt8Linear> fast_;
};

kernels::Int8GemmParams float_output(int64_t n, int64_t k, float input_scale, int32_t input_zero,
                                     const std::vector<float>& scales, const float* bias) {
  kernels::Int8GemmParams p;
  p.n = n;
  p.k = k;
  p.input_scale = input_scale;
  p.input_zero_point = input_zero;
  p.weight_scales = scales.data();
  p.bias = bias;
  p.output = kernels::Int8Output::kFloat;
  return p;
}

void check_token(const Int8TextModel& m, int64_t id) {
  DISTILL_CHECK(id >= 0 && id < m.vocab_size, "token id ", id, " is outside the vocabulary [0, ",
                m.vocab_size, ")");
}

/// Texts in chunks of about this many windows: a chunk's windows, products and maxima stay in
/// the core's cache between the GEMM that writes them and the loop that reads them.
constexpr int64_t kWindowsPerChunk = 1024;

/// A batch's texts are split among threads for the recurrence only when each gets this many: the
/// per-step GEMMs over fewer rows cost more than they share.
constexpr int64_t kMinTextsPerRecurrenceSlice = 16;

/// The bag's texts are split among threads only when each gets this many: a text's mean of rows
/// takes well under a microsecond, a wake of the workers a few.
constexpr int64_t kMinTextsPerBagSlice = 32;

/// One thread's buffers for the convolutions of a chunk of texts.
struct ConvolutionScratch {
  std::vector<int64_t> first_window;  // texts + 1: where each text's windows start
  std::vector<uint8_t> windows;       // windows × width·E
  std::vector<float> outputs;         // windows × filters
};

/// Each filter's largest ReLU output over the windows of texts [begin, end) into `pooled`
/// (batch, head width). Per width, the windows inside each text's own tokens (0 .. tokens −
/// width; a text shorter than the width has its one window over the padding) — the only ones
/// its maxima read — each a contiguous run of the text's codes (batch, positions, E), gathered
/// for one GEMM.
void pool_text_windows(const Int8TextModel& m, std::vector<Int8Product>& products,
                       const uint8_t* codes, const int64_t* lengths, int64_t positions,
                       int64_t begin, int64_t end, ConvolutionScratch& c, float* pooled) {
  const int64_t width = m.embedding_dim, pooled_width = m.head_input_width();
  const int64_t texts = end - begin;
  int64_t first_filter = 0;
  for (size_t k = 0; k < m.convolutions.size(); ++k) {
    const QuantizedTextConvolution& conv = m.convolutions[k];
    const int64_t span = conv.width * width;
    c.first_window.resize(static_cast<size_t>(texts + 1));
    int64_t windows = 0;
    for (int64_t i = 0; i < texts; ++i) {
      c.first_window[static_cast<size_t>(i)] = windows;
      windows += std::max<int64_t>(lengths[begin + i] - conv.width, 0) + 1;
    }
    c.first_window[static_cast<size_t>(texts)] = windows;
    const int64_t padded = Int8Product::padded_rows(windows);
    c.windows.resize(static_cast<size_t>(padded * span));
    for (int64_t i = 0; i < texts; ++i) {
      const int64_t first = c.first_window[static_cast<size_t>(i)];
      const int64_t count = c.first_window[static_cast<size_t>(i) + 1] - first;
      for (int64_t t = 0; t < count; ++t)
        std::memcpy(c.windows.data() + (first + t) * span,
                    codes + ((begin + i) * positions + t) * width, static_cast<size_t>(span));
    }
    c.outputs.resize(static_cast<size_t>(padded * conv.filters));
    products[k].run(padded, c.windows.data(), c.outputs.data());
    // ReLU and each filter's maximum over the text's windows.
    for (int64_t i = 0; i < texts; ++i) {
      float* out = pooled + (begin + i) * pooled_width + first_filter;
      std::fill(out, out + conv.filters, 0.0f);
      for (int64_t w = c.first_window[static_cast<size_t>(i)];
           w < c.first_window[static_cast<size_t>(i) + 1]; ++w) {
        const float* y = c.outputs.data() + w * conv.filters;
        for (int64_t f = 0; f < conv.filters; ++f) out[f] = std::max(out[f], y[f]);
      }
    }
    first_filter += conv.filters;
  }
}

/// The input products W_ih·x_t + bias of a recurrence run for this many bytes of steps at a time:
/// one GEMM over the inputs of several steps, whose output stays in the core's cache until the
/// cell reads it. (Projecting every position of 128 texts at once wrote 16 MB of floats that the
/// cell then read back with a stride — a fifth of its samples on that load; projecting each step
/// alone costs a GEMM call per step, which batch 1 felt: 360 → 400–600 µs.)
constexpr int64_t kProjectedBytesPerBlock = 256 * 1024;

/// One thread's buffers for the recurrence of a slice of texts.
struct RecurrentScratch {
  std::vector<uint8_t> block_inputs;  // the block's (step, active text) rows × input width
  std::vector<float> projected;       // the same rows × 4H: W_ih·x_t + bias
  std::vector<int64_t> step_first;    // per step of the block: its first row
  std::vector<uint8_t> states;      // texts × positions × 2H: the layer's output, state encoding
  std::vector<uint8_t> next_input;  // the same, as the next layer reads it
  std::vector<float> h, c;          // texts × H
  std::vector<uint8_t> h_codes;     // active × H
  std::vector<float> gates;         // active × 4H
  std::vector<int64_t> active;      // the texts still reading at this step
};

/// Where text b reads its input at `step`: the backward direction reads the text from its last
/// token to its first.
int64_t position_at(int64_t direction, int64_t step, int64_t length) {
  return direction == 0 ? step : length - 1 - step;
}

/// The last layer's final states (texts, 2H) of `texts` texts: `codes` (texts, positions, E) in
/// the sequence encoding, `lengths` their token counts; pooled rows written at `pooled`.
void run_recurrence(const Int8TextModel& m, std::vector<Int8Product>& input_products,
                    std::vector<Int8Product>& recurrent_products, Int8Kernels kernels,
                    const uint8_t* codes, const int64_t* lengths, int64_t texts, int64_t positions,
                    RecurrentScratch& r, float* pooled) {
  const int64_t units = m.lstm_units;
  const int64_t layers = static_cast<int64_t>(m.lstm.size()) / 2;
  const uint8_t* input = codes;
  // Every layer but the last writes its states, in the state encoding, for the next to read.
  if (layers > 1)
    r.states.assign(static_cast<size_t>(texts * positions * 2 * units),
                    static_cast<uint8_t>(kLstmStateZeroPoint));
  r.h.resize(static_cast<size_t>(texts * units));
  r.c.resize(static_cast<size_t>(texts * units));
  for (int64_t layer = 0; layer < layers; ++layer) {
    const bool last_layer = layer + 1 == layers;
    const int64_t input_width = layer == 0 ? m.embedding_dim : 2 * units;
    for (int64_t direction = 0; direction < 2; ++direction) {
      const size_t d = static_cast<size_t>(2 * layer + direction);
      std::fill(r.h.begin(), r.h.end(), 0.0f);
      std::fill(r.c.begin(), r.c.end(), 0.0f);
      const int64_t block_steps = std::clamp<int64_t>(
          kProjectedBytesPerBlock / (texts * 4 * units * static_cast<int64_t>(sizeof(float))), 1,
          positions);
      for (int64_t step = 0; step < positions; ++step) {
        const int64_t in_block = step % block_steps;
        if (in_block == 0) {
          // The inputs of every text still reading at each step of the block, gathered in
          // (step, text) order, and their products: one GEMM.
          const int64_t block_end = std::min(positions, step + block_steps);
          r.step_first.resize(static_cast<size_t>(block_end - step));
          r.block_inputs.resize(static_cast<size_t>(texts * (block_end - step) * input_width));
          int64_t rows = 0;
          for (int64_t t = step; t < block_end; ++t) {
            r.step_first[static_cast<size_t>(t - step)] = rows;
            for (int64_t b = 0; b < texts; ++b)
              if (lengths[b] > t)
                std::memcpy(
                    r.block_inputs.data() + rows++ * input_width,
                    input + (b * positions + position_at(direction, t, lengths[b])) * input_width,
                    static_cast<size_t>(input_width));
          }
          if (rows == 0) break;
          const int64_t padded = Int8Product::padded_rows(rows);
          r.block_inputs.resize(
              std::max(r.block_inputs.size(), static_cast<size_t>(padded * input_width)));
          r.projected.resize(static_cast<size_t>(padded * 4 * units));
          input_products[d].run(padded, r.block_inputs.data(), r.projected.data());
        }
        r.active.clear();
        for (int64_t b = 0; b < texts; ++b)
          if (lengths[b] > step) r.active.push_back(b);
        if (r.active.empty()) break;
        const int64_t count = static_cast<int64_t>(r.active.size());
        const float* step_projected =
            r.projected.data() + r.step_first[static_cast<size_t>(in_block)] * 4 * units;
        r.h_codes.resize(static_cast<size_t>(count * units));
        if (count == texts) {  // every text still reading: one pass over the states
          kernels::quantize_to_uint8(r.h.data(), texts * units, kLstmStateScale,
                                     kLstmStateZeroPoint, r.h_codes.data());
        } else {
          for (int64_t a = 0; a < count; ++a)
            kernels::quantize_to_uint8(r.h.data() + r.active[static_cast<size_t>(a)] * units, units,
                                       kLstmStateScale, kLstmStateZeroPoint,
                                       r.h_codes.data() + a * units);
        }
        r.gates.resize(static_cast<size_t>(count * 4 * units));
        recurrent_products[d].run(count, r.h_codes.data(), r.gates.data());
        for (int64_t a = 0; a < count; ++a) {
          const int64_t b = r.active[static_cast<size_t>(a)];
          const float* in = step_projected + a * 4 * units;
          const float* rec = r.gates.data() + a * 4 * units;
          float* h = r.h.data() + b * units;
          float* c = r.c.data() + b * units;
          if (kernels == Int8Kernels::kReference)
            kernels::reference_lstm_cell_update(in, rec, units, h, c);
          else
            kernels::lstm_cell_update(in, rec, units, h, c);
          if (!last_layer)
            kernels::quantize_to_uint8(
                h, units, kLstmStateScale, kLstmStateZeroPoint,
                r.states.data() +
                    (b * positions + position_at(direction, step, lengths[b])) * 2 * units +
                    direction * units);
        }
      }
      // The last layer's final states: the forward one after the last token, the backward one
      // after the first.
      if (last_layer)
        for (int64_t b = 0; b < texts; ++b)
          std::memcpy(pooled + b * 2 * units + direction * units, r.h.data() + b * units,
                      static_cast<size_t>(units) * sizeof(float));
    }
    if (!last_layer) {
      r.next_input = r.states;
      input = r.next_input.data();
    }
  }
}

}  // namespace

/// The sequence encoders' input: every vocabulary row already in the sequence's uint8 encoding,
/// and the current batch's codes and lengths.
struct Int8TextRunner::Sequences {
  std::vector<uint8_t> row_codes;  // vocab_size × E
  std::vector<uint8_t> codes;      // batch × positions × E
  std::vector<int64_t> lengths;    // batch
};

/// Each width's GEMM, and the threads that share a batch's texts with their own buffers.
struct Int8TextRunner::Convolutions {
  std::vector<Int8Product> products;
  int64_t widest = 1;
  std::vector<ConvolutionScratch> scratch;  // one per thread
};

/// Each direction's two GEMMs and the buffers of the recurrence.
struct Int8TextRunner::Recurrent {
  Int8Kernels kernels;  // the cell update's too: the reference one under kReference
  std::vector<Int8Product> input_products, recurrent_products;  // one per direction
  std::vector<RecurrentScratch> scratch;                        // one per thread
};

Int8TextRunner::Int8TextRunner(const Int8TextModel& model, int threads)
    : Int8TextRunner(model, threads, Int8Kernels::kOneDnn) {}

Int8TextRunner::Int8TextRunner(const Int8TextModel& model, int threads, Int8Kernels kernels)
    : model_(&model), threads_(threads > 0 ? threads : omp_get_max_threads()) {
  validate_int8_text_model(model, "int8 text model");
  heads_.reserve(static_cast<size_t>(threads_));
  for (int t = 0; t < threads_; ++t) heads_.emplace_back(model.head, kernels, /*threads=*/1);
  if (model.encoder == TextEncoder::kBag) return;
  sequences_ = std::make_unique<Sequences>();
  const int64_t width = model.embedding_dim;
  sequences_->row_codes.resize(static_cast<size_t>(model.vocab_size * width));
  std::vector<float> row(static_cast<size_t>(width));
  for (int64_t r = 0; r < model.vocab_size; ++r) {
    const float scale = model.row_scales[static_cast<size_t>(r)];
    for (int64_t e = 0; e < width; ++e)
      row[static_cast<size_t>(e)] = scale * model.embeddings[static_cast<size_t>(r * width + e)];
    kernels::quantize_to_uint8(row.data(), width, model.sequence_scale, model.sequence_zero_point,
                               sequences_->row_codes.data() + r * width);
  }
  if (model.encoder == TextEncoder::kConvolutions) {
    convolutions_ = std::make_unique<Convolutions>();
    convolutions_->scratch.resize(static_cast<size_t>(threads_));
    for (const QuantizedTextConvolution& conv : model.convolutions) {
      convolutions_->products.emplace_back(
          float_output(conv.filters, conv.width * width, model.sequence_scale,
                       model.sequence_zero_point, conv.weight_scales, conv.bias.data()),
          conv.weights.data(), kernels);
      convolutions_->widest = std::max(convolutions_->widest, conv.width);
    }
    return;
  }
  recurrent_ = std::make_unique<Recurrent>();
  recurrent_->kernels = kernels;
  recurrent_->scratch.resize(static_cast<size_t>(threads_));
  const int64_t units = model.lstm_units;
  for (size_t d = 0; d < model.lstm.size(); ++d) {
    const QuantizedLstmDirection& direction = model.lstm[d];
    const bool first_layer = d < 2;
    recurrent_->input_products.emplace_back(
        float_output(4 * units, first_layer ? width : 2 * units,
                     first_layer ? model.sequence_scale : kLstmStateScale,
                     first_layer ? model.sequence_zero_point : kLstmStateZeroPoint,
                     direction.input_scales, direction.bias.data()),
        direction.input_weights.data(), kernels);
    recurrent_->recurrent_products.emplace_back(
        float_output(4 * units, units, kLstmStateScale, kLstmStateZeroPoint,
                     direction.recurrent_scales, nullptr),
        direction.recurrent_weights.data(), kernels);
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

void Int8TextRunner::pool(const int64_t* rows, int64_t batch, int64_t length, float* pooled) {
  pool_texts(rows, batch, length, pooled, PooledTexts());
}

void Int8TextRunner::pool_texts(const int64_t* rows, int64_t batch, int64_t length, float* pooled,
                                const PooledTexts& pooled_texts) {
  switch (model_->encoder) {
    case TextEncoder::kBag:
      return pool_bag(rows, batch, length, pooled, pooled_texts);
    case TextEncoder::kConvolutions:
      return pool_convolutions(rows, batch, length, pooled, pooled_texts);
    case TextEncoder::kRecurrent:
      return pool_recurrent(rows, batch, length, pooled, pooled_texts);
  }
}

void Int8TextRunner::pool_bag(const int64_t* rows, int64_t batch, int64_t length, float* pooled,
                              const PooledTexts& pooled_texts) {
  const Int8TextModel& m = *model_;
  const int64_t width = m.embedding_dim;
  const text::BigramBuckets bigram_bucket(std::max<int64_t>(m.bigram_buckets, 1));
  const auto pool_slice = [&](int64_t begin, int64_t end) {
    // A text's counted tokens, each followed by its bigram's bucket.
    std::vector<int64_t> bag(static_cast<size_t>(2 * length));
    for (int64_t b = begin; b < end; ++b) {
      int64_t count = 0, previous = -1;
      for (int64_t i = 0; i < length; ++i) {
        const int64_t id = rows[b * length + i];
        check_token(m, id);
        if (!text::bag_counts_token(id)) continue;
        bag[static_cast<size_t>(count++)] = id;
        if (m.bigram_buckets > 0 && previous >= 0)
          bag[static_cast<size_t>(count++)] = m.vocab_size + bigram_bucket(previous, id);
        previous = id;
      }
      float* out = pooled + b * width;
      kernels::sum_scaled_int8_rows(m.embeddings.data(), m.row_scales.data(), width, bag.data(),
                                    count, out);
      if (count > 0)
        for (int64_t e = 0; e < width; ++e) out[e] /= static_cast<float>(count);
    }
  };
  const int64_t slices =
      std::clamp<int64_t>(batch / kMinTextsPerBagSlice, 1, static_cast<int64_t>(threads_));
  run_slices(slices, [&](int slice) {
    const int64_t begin = batch * slice / slices, end = batch * (slice + 1) / slices;
    pool_slice(begin, end);
    if (pooled_texts) pooled_texts(slice, begin, end);
  });
}

void Int8TextRunner::encode_sequences(const int64_t* rows, int64_t batch, int64_t length,
                                      int64_t positions) {
  const Int8TextModel& m = *model_;
  Sequences& s = *sequences_;
  const int64_t width = m.embedding_dim;
  s.codes.assign(static_cast<size_t>(batch * positions * width),
                 static_cast<uint8_t>(m.sequence_zero_point));
  s.lengths.assign(static_cast<size_t>(batch), 0);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t tokens = 0;
    for (int64_t i = 0; i < length; ++i) {
      const int64_t id = rows[b * length + i];
      check_token(m, id);
      tokens += id != text::kPadTokenId ? 1 : 0;
      std::memcpy(s.codes.data() + (b * positions + i) * width, s.row_codes.data() + id * width,
                  static_cast<size_t>(width));
    }
    s.lengths[static_cast<size_t>(b)] = std::max<int64_t>(tokens, 1);
  }
}

void Int8TextRunner::pool_convolutions(const int64_t* rows, int64_t batch, int64_t length,
                                       float* pooled, const PooledTexts& pooled_texts) {
  Convolutions& c = *convolutions_;
  // Rows shorter than the widest convolution are padded to it, as training's batches were.
  const int64_t positions = std::max(length, c.widest);
  encode_sequences(rows, batch, length, positions);
  const Sequences& s = *sequences_;
  // Chunks of consecutive texts of about equal work; each thread takes a run of consecutive
  // chunks, so that its texts are one range for its head.
  std::vector<std::pair<int64_t, int64_t>> chunks;
  for (int64_t b = 0, start = 0, windows = 0; b < batch; ++b) {
    windows += s.lengths[static_cast<size_t>(b)];
    if (windows >= kWindowsPerChunk || b + 1 == batch) {
      chunks.emplace_back(start, b + 1);
      start = b + 1;
      windows = 0;
    }
  }
  const int64_t count = static_cast<int64_t>(chunks.size());
  const int64_t slices = std::clamp<int64_t>(count, 1, static_cast<int64_t>(threads_));
  run_slices(slices, [&](int slice) {
    const int64_t first = count * slice / slices, last = count * (slice + 1) / slices;
    for (int64_t k = first; k < last; ++k) {
      const std::pair<int64_t, int64_t>& chunk = chunks[static_cast<size_t>(k)];
      pool_text_windows(*model_, c.products, s.codes.data(), s.lengths.data(), positions,
                        chunk.first, chunk.second, c.scratch[static_cast<size_t>(slice)], pooled);
    }
    if (pooled_texts && last > first)
      pooled_texts(slice, chunks[static_cast<size_t>(first)].first,
                   chunks[static_cast<size_t>(last - 1)].second);
  });
}

void Int8TextRunner::pool_recurrent(const int64_t* rows, int64_t batch, int64_t length,
                                    float* pooled, const PooledTexts& pooled_texts) {
  const Int8TextModel& m = *model_;
  Recurrent& r = *recurrent_;
  const int64_t positions = std::max<int64_t>(length, 1), width = m.embedding_dim;
  encode_sequences(rows, batch, length, positions);
  const Sequences& s = *sequences_;
  // Texts are independent: slices of the batch run their recurrences on the run's threads.
  const int64_t slices =
      std::clamp<int64_t>(batch / kMinTextsPerRecurrenceSlice, 1, static_cast<int64_t>(threads_));
  const auto run_slice = [&](int slice) {
    const int64_t begin = batch * slice / slices, end = batch * (slice + 1) / slices;
    run_recurrence(m, r.input_products, r.recurrent_products, r.kernels,
                   s.codes.data() + begin * positions * width, s.lengths.data() + begin,
                   end - begin, positions, r.scratch[static_cast<size_t>(slice)],
                   pooled + begin * 2 * m.lstm_units);
    if (pooled_texts) pooled_texts(slice, begin, end);
  };
  run_slices(slices, run_slice);
}

void Int8TextRunner::run_slices(int64_t slices, const std::function<void(int)>& task) {
  if (slices <= 1) return task(0);
  if (!workers_) workers_ = std::make_unique<SpinningWorkers>(threads_);
  workers_->run(static_cast<int>(slices), task);
}

void Int8TextRunner::logits(const int64_t* rows, int64_t batch, int64_t length, float* logits) {
  const int64_t width = model_->head_input_width(), classes = model_->head.num_classes;
  pooled_.resize(static_cast<size_t>(batch * width));
  pool_texts(rows, batch, length, pooled_.data(), [&](int slice, int64_t begin, int64_t end) {
    heads_[static_cast<size_t>(slice)].logits(pooled_.data() + begin * width, end - begin,
                                              logits + begin * classes);
  });
}

}  // namespace distill::runtime
