// The int8 text model: validation, its file, and running it from token ids.
#include "distill/runtime/int8_text_model.h"

#include <cmath>
#include <fstream>
#include <iterator>

#include "distill/core/error.h"
#include "distill/runtime/int8_classifier.h"
#include "distill/runtime/int8_model_file.h"
#include "distill/text/bigram_hash.h"
#include "distill/text/tokenizer_options.h"
#include "file_fields.h"

namespace distill::runtime {
namespace {

using namespace file_fields;

constexpr uint32_t kTextFormatVersion = 1;
constexpr int64_t kMaxRows = int64_t{1} << 26;
constexpr int64_t kMaxWidth = int64_t{1} << 16;

}  // namespace

void validate_int8_text_model(const Int8TextModel& m, const std::string& where) {
  DISTILL_CHECK(!m.tokenizer_model.empty(), where, ": no tokenizer");
  DISTILL_CHECK(m.max_tokens >= (m.cls_first ? 2 : 1) && m.max_tokens <= 65536, where,
                ": max_tokens = ", m.max_tokens, ", expected 1 to 65536");
  DISTILL_CHECK(m.vocab_size > text::kFirstPieceId && m.vocab_size <= kMaxRows, where,
                ": vocab_size = ", m.vocab_size, ", expected ", text::kFirstPieceId + 1, " to ",
                kMaxRows);
  DISTILL_CHECK(m.bigram_buckets >= 0 && m.bigram_buckets <= kMaxRows, where,
                ": bigram_buckets = ", m.bigram_buckets, ", expected 0 to ", kMaxRows);
  DISTILL_CHECK(m.embedding_dim >= 1 && m.embedding_dim <= kMaxWidth, where,
                ": embedding_dim = ", m.embedding_dim, ", expected 1 to ", kMaxWidth);
  const int64_t rows = m.vocab_size + m.bigram_buckets;
  DISTILL_CHECK(static_cast<int64_t>(m.row_scales.size()) == rows &&
                    static_cast<int64_t>(m.embeddings.size()) == rows * m.embedding_dim,
                where, ": ", m.row_scales.size(), " row scales and ", m.embeddings.size(),
                " embedding codes for ", rows, " rows of ", m.embedding_dim);
  for (size_t r = 0; r < m.row_scales.size(); ++r)
    DISTILL_CHECK(std::isfinite(m.row_scales[r]) && m.row_scales[r] > 0, where, ": row ", r,
                  " has scale ", m.row_scales[r], ", expected a finite value > 0");
  DISTILL_CHECK(m.head.input_features() == m.embedding_dim && !m.head.is_cnn(), where,
                ": the head reads ", m.head.input_features(), " features, expected the ",
                m.embedding_dim, "-wide pooled embedding");
  DISTILL_CHECK(m.class_names.empty() ||
                    static_cast<int64_t>(m.class_names.size()) == m.head.num_classes,
                where, ": ", m.class_names.size(), " class names for ", m.head.num_classes,
                " classes");
}

std::string encode_int8_text_model(const Int8TextModel& m) {
  validate_int8_text_model(m, "int8 text model to encode");
  std::string payload;
  const std::vector<char> tokenizer(m.tokenizer_model.begin(), m.tokenizer_model.end());
  const std::string head_bytes = encode_int8_model(m.head);
  const std::vector<char> head(head_bytes.begin(), head_bytes.end());
  const json header{{"format", "distill-int8-text"},
                    {"description", m.description},
                    {"max_tokens", m.max_tokens},
                    {"cls_first", m.cls_first},
                    {"vocab_size", m.vocab_size},
                    {"bigram_buckets", m.bigram_buckets},
                    {"embedding_dim", m.embedding_dim},
                    {"class_names", m.class_names},
                    {"tokenizer", append_array(payload, tokenizer)},
                    {"embeddings", append_array(payload, m.embeddings)},
                    {"row_scales", append_array(payload, m.row_scales)},
                    {"head", append_array(payload, head)}};
  return wrap_file(kInt8TextModelMagic, kTextFormatVersion, header, payload, "int8 text model");
}

bool is_int8_text_model(const std::string& bytes) {
  return bytes.size() >= 8 && bytes.compare(0, 8, kInt8TextModelMagic, 8) == 0;
}

Int8TextModel decode_int8_text_model(const std::string& bytes, const std::string& source) {
  const std::string where = "int8 text model '" + source + "'";
  const FileView file = open_file(bytes, kInt8TextModelMagic, kTextFormatVersion, where,
                                  "int8 text models come from `distill run` on text data");
  const HeaderReader root(file.header, "", source);
  DISTILL_CHECK(root.text("format") == "distill-int8-text", root.where("format"),
                " must be \"distill-int8-text\"");
  Int8TextModel m;
  m.description = root.text("description");
  m.max_tokens = bounded(root, "max_tokens", 1, 65536);
  m.cls_first = root.boolean("cls_first");
  m.vocab_size = bounded(root, "vocab_size", text::kFirstPieceId + 1, kMaxRows);
  m.bigram_buckets = bounded(root, "bigram_buckets", 0, kMaxRows);
  m.embedding_dim = bounded(root, "embedding_dim", 1, kMaxWidth);
  const json& names = root.field("class_names");
  DISTILL_CHECK(names.is_array(), root.where("class_names"), " must be a list");
  for (const json& name : names) {
    DISTILL_CHECK(name.is_string(), root.where("class_names"), " must hold strings");
    m.class_names.push_back(name.get<std::string>());
  }
  const auto span_bytes = [&](const char* key) { return root.child(key).integer("bytes"); };
  const std::vector<char> tokenizer = read_array<char>(root, "tokenizer", span_bytes("tokenizer"),
                                                       file.payload, file.payload_bytes);
  m.tokenizer_model.assign(tokenizer.begin(), tokenizer.end());
  const int64_t rows = m.vocab_size + m.bigram_buckets;
  m.embeddings = read_array<int8_t>(root, "embeddings", rows * m.embedding_dim, file.payload,
                                    file.payload_bytes);
  m.row_scales = read_array<float>(root, "row_scales", rows, file.payload, file.payload_bytes);
  const std::vector<char> head = read_array<char>(root, "head", span_bytes("head"), file.payload,
                                                  file.payload_bytes);
  m.head = decode_int8_model(std::string(head.begin(), head.end()), source + " (head)");
  validate_int8_text_model(m, where);
  return m;
}

Int8TextModel load_int8_text_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DISTILL_CHECK(in.good(), "cannot open int8 text model '", path, "'");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_int8_text_model(bytes, path);
}

Int8BagRunner::Int8BagRunner(const Int8TextModel& model, int threads)
    : model_(&model),
      head_(std::make_unique<Int8Classifier>(model.head, Int8Kernels::kOneDnn, threads)) {
  validate_int8_text_model(model, "int8 text model");
}

Int8BagRunner::~Int8BagRunner() = default;
Int8BagRunner::Int8BagRunner(Int8BagRunner&&) noexcept = default;

std::vector<int64_t> Int8BagRunner::model_row(const std::vector<int32_t>& ids) const {
  std::vector<int64_t> row;
  row.reserve(static_cast<size_t>(model_->max_tokens));
  if (model_->cls_first) row.push_back(text::kClsTokenId);
  for (int32_t id : ids) {
    if (static_cast<int64_t>(row.size()) == model_->max_tokens) break;
    row.push_back(id);
  }
  return row;
}

void Int8BagRunner::pool(const int64_t* rows, int64_t batch, int64_t length, float* pooled) const {
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
      DISTILL_CHECK(id >= 0 && id < m.vocab_size, "token id ", id, " is outside the vocabulary [0, ",
                    m.vocab_size, ")");
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

void Int8BagRunner::logits(const int64_t* rows, int64_t batch, int64_t length, float* logits) {
  pooled_.resize(static_cast<size_t>(batch * model_->embedding_dim));
  pool(rows, batch, length, pooled_.data());
  head_->logits(pooled_.data(), batch, logits);
}

}  // namespace distill::runtime
