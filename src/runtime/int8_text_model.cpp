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

// 1: the bag only; 2: adds `encoder` and the convolutional encoder.
constexpr uint32_t kTextFormatVersion = 2;
constexpr size_t kMaxConvolutions = 256;
constexpr size_t kMaxLstmLayers = 16;
constexpr int64_t kMaxRows = int64_t{1} << 26;
constexpr int64_t kMaxWidth = int64_t{1} << 16;

void validate_sequence_encoding(const Int8TextModel& m, const std::string& where);

void validate_convolutions(const Int8TextModel& m, const std::string& where) {
  validate_sequence_encoding(m, where);
  DISTILL_CHECK(!m.convolutions.empty() && m.convolutions.size() <= kMaxConvolutions, where, ": ",
                m.convolutions.size(), " convolutions, expected 1 to ", kMaxConvolutions);
  for (size_t c = 0; c < m.convolutions.size(); ++c) {
    const QuantizedTextConvolution& conv = m.convolutions[c];
    const std::string at = where + ": convolution " + std::to_string(c + 1);
    DISTILL_CHECK(conv.width >= 1 && conv.width <= m.max_tokens, at, " has width ", conv.width,
                  ", expected 1 to max_tokens = ", m.max_tokens);
    DISTILL_CHECK(conv.filters >= 1 && conv.filters <= kMaxWidth, at, " has ", conv.filters,
                  " filters, expected 1 to ", kMaxWidth);
    const size_t filters = static_cast<size_t>(conv.filters);
    DISTILL_CHECK(conv.weights.size() == filters * static_cast<size_t>(conv.width * m.embedding_dim) &&
                      conv.weight_scales.size() == filters && conv.bias.size() == filters,
                  at, ": ", conv.weights.size(), " weights, ", conv.weight_scales.size(),
                  " scales and ", conv.bias.size(), " biases for ", conv.filters, " filters of ",
                  conv.width, " x ", m.embedding_dim);
    for (size_t f = 0; f < filters; ++f)
      DISTILL_CHECK(std::isfinite(conv.weight_scales[f]) && conv.weight_scales[f] > 0 &&
                        std::isfinite(conv.bias[f]),
                    at, ", filter ", f, ": scale ", conv.weight_scales[f], " and bias ",
                    conv.bias[f], ", expected a finite scale > 0 and a finite bias");
  }
}

void validate_sequence_encoding(const Int8TextModel& m, const std::string& where) {
  DISTILL_CHECK(m.bigram_buckets == 0, where, ": bigram_buckets = ", m.bigram_buckets, ", but the ",
                to_string(m.encoder), " encoder reads no bigram rows");
  DISTILL_CHECK(std::isfinite(m.sequence_scale) && m.sequence_scale > 0, where,
                ": sequence_scale = ", m.sequence_scale, ", expected a finite value > 0");
  DISTILL_CHECK(m.sequence_zero_point >= 0 && m.sequence_zero_point <= 255, where,
                ": sequence_zero_point = ", m.sequence_zero_point, ", expected 0 to 255");
}

void check_scales(const std::vector<float>& scales, const std::string& what) {
  for (size_t i = 0; i < scales.size(); ++i)
    DISTILL_CHECK(std::isfinite(scales[i]) && scales[i] > 0, what, ": scale ", i, " is ",
                  scales[i], ", expected a finite value > 0");
}

void validate_recurrent(const Int8TextModel& m, const std::string& where) {
  validate_sequence_encoding(m, where);
  DISTILL_CHECK(m.lstm_units >= 1 && m.lstm_units <= kMaxWidth, where, ": lstm_units = ",
                m.lstm_units, ", expected 1 to ", kMaxWidth);
  DISTILL_CHECK(!m.lstm.empty() && m.lstm.size() % 2 == 0 && m.lstm.size() <= 2 * kMaxLstmLayers,
                where, ": ", m.lstm.size(), " LSTM directions, expected 2 per layer, 1 to ",
                kMaxLstmLayers, " layers");
  const size_t gates = static_cast<size_t>(4 * m.lstm_units), units = static_cast<size_t>(m.lstm_units);
  for (size_t d = 0; d < m.lstm.size(); ++d) {
    const QuantizedLstmDirection& direction = m.lstm[d];
    const size_t input = d < 2 ? static_cast<size_t>(m.embedding_dim) : 2 * units;
    const std::string at = where + ": LSTM layer " + std::to_string(d / 2 + 1) +
                           (d % 2 == 0 ? " forward" : " backward");
    DISTILL_CHECK(direction.input_weights.size() == gates * input &&
                      direction.recurrent_weights.size() == gates * units &&
                      direction.input_scales.size() == gates &&
                      direction.recurrent_scales.size() == gates && direction.bias.size() == gates,
                  at, ": ", direction.input_weights.size(), " input and ",
                  direction.recurrent_weights.size(), " recurrent weights, ",
                  direction.input_scales.size(), " + ", direction.recurrent_scales.size(),
                  " scales and ", direction.bias.size(), " biases; expected ", gates, " x ", input,
                  ", ", gates, " x ", units, " and ", gates, " of each");
    check_scales(direction.input_scales, at + " input weights");
    check_scales(direction.recurrent_scales, at + " recurrent weights");
    for (float b : direction.bias) DISTILL_CHECK(std::isfinite(b), at, ": a bias is ", b);
  }
}

}  // namespace

const char* to_string(TextEncoder encoder) {
  switch (encoder) {
    case TextEncoder::kBag: return "bag";
    case TextEncoder::kConvolutions: return "convolutions";
    case TextEncoder::kRecurrent: return "recurrent";
  }
  return "unknown";
}

int64_t Int8TextModel::head_input_width() const {
  if (encoder == TextEncoder::kBag) return embedding_dim;
  if (encoder == TextEncoder::kRecurrent) return 2 * lstm_units;
  int64_t width = 0;
  for (const QuantizedTextConvolution& conv : convolutions) width += conv.filters;
  return width;
}

int64_t Int8TextModel::parameter_count() const {
  int64_t count = static_cast<int64_t>(embeddings.size()) + runtime::parameter_count(head);
  for (const QuantizedTextConvolution& conv : convolutions)
    count += static_cast<int64_t>(conv.weights.size() + conv.bias.size());
  for (const QuantizedLstmDirection& d : lstm)
    count += static_cast<int64_t>(d.input_weights.size() + d.recurrent_weights.size() + d.bias.size());
  return count;
}

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
  if (m.encoder == TextEncoder::kConvolutions) validate_convolutions(m, where);
  if (m.encoder == TextEncoder::kRecurrent) validate_recurrent(m, where);
  DISTILL_CHECK(m.encoder == TextEncoder::kConvolutions || m.convolutions.empty(), where, ": a ",
                to_string(m.encoder), " model with convolutions");
  DISTILL_CHECK(m.encoder == TextEncoder::kRecurrent || m.lstm.empty(), where, ": a ",
                to_string(m.encoder), " model with LSTM layers");
  DISTILL_CHECK(m.head.input_features() == m.head_input_width() && !m.head.is_cnn(), where,
                ": the head reads ", m.head.input_features(), " features, expected the ",
                m.head_input_width(), "-wide pooled vector of the ", to_string(m.encoder));
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
  json header{{"format", "distill-int8-text"},
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
                    {"head", append_array(payload, head)},
                    {"encoder", to_string(m.encoder)}};
  if (m.encoder != TextEncoder::kBag) {
    header["sequence_scale"] = m.sequence_scale;
    header["sequence_zero_point"] = m.sequence_zero_point;
  }
  if (m.encoder == TextEncoder::kRecurrent) {
    header["lstm_units"] = m.lstm_units;
    json directions = json::array();
    for (const QuantizedLstmDirection& d : m.lstm)
      directions.push_back({{"input_weights", append_array(payload, d.input_weights)},
                            {"input_scales", append_array(payload, d.input_scales)},
                            {"recurrent_weights", append_array(payload, d.recurrent_weights)},
                            {"recurrent_scales", append_array(payload, d.recurrent_scales)},
                            {"bias", append_array(payload, d.bias)}});
    header["lstm"] = directions;
  }
  if (m.encoder == TextEncoder::kConvolutions) {
    json convolutions = json::array();
    for (const QuantizedTextConvolution& conv : m.convolutions)
      convolutions.push_back({{"width", conv.width},
                              {"filters", conv.filters},
                              {"weights", append_array(payload, conv.weights)},
                              {"weight_scales", append_array(payload, conv.weight_scales)},
                              {"bias", append_array(payload, conv.bias)}});
    header["convolutions"] = convolutions;
  }
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
  // Version 1 files hold bags only.
  const std::string encoder = file.version >= 2 ? root.text("encoder") : "bag";
  if (encoder == "convolutions" || encoder == "recurrent") {
    m.sequence_scale = static_cast<float>(root.number("sequence_scale"));
    m.sequence_zero_point = static_cast<int32_t>(bounded(root, "sequence_zero_point", 0, 255));
  }
  if (encoder == "recurrent") {
    m.encoder = TextEncoder::kRecurrent;
    m.lstm_units = bounded(root, "lstm_units", 1, kMaxWidth);
    const json& list = root.field("lstm");
    DISTILL_CHECK(list.is_array() && !list.empty() && list.size() % 2 == 0 &&
                      list.size() <= 2 * kMaxLstmLayers,
                  root.where("lstm"), " must be a list of 2 to ", 2 * kMaxLstmLayers,
                  " directions, two per layer");
    const int64_t gates = 4 * m.lstm_units;
    for (size_t d = 0; d < list.size(); ++d) {
      const HeaderReader node(list[d], "lstm[" + std::to_string(d) + "].", source);
      const int64_t input = d < 2 ? m.embedding_dim : 2 * m.lstm_units;
      QuantizedLstmDirection direction;
      direction.input_weights = read_array<int8_t>(node, "input_weights", gates * input,
                                                   file.payload, file.payload_bytes);
      direction.input_scales =
          read_array<float>(node, "input_scales", gates, file.payload, file.payload_bytes);
      direction.recurrent_weights = read_array<int8_t>(
          node, "recurrent_weights", gates * m.lstm_units, file.payload, file.payload_bytes);
      direction.recurrent_scales =
          read_array<float>(node, "recurrent_scales", gates, file.payload, file.payload_bytes);
      direction.bias = read_array<float>(node, "bias", gates, file.payload, file.payload_bytes);
      m.lstm.push_back(std::move(direction));
    }
  } else if (encoder == "convolutions") {
    m.encoder = TextEncoder::kConvolutions;
    const json& list = root.field("convolutions");
    DISTILL_CHECK(list.is_array() && !list.empty() && list.size() <= kMaxConvolutions,
                  root.where("convolutions"), " must be a list of 1 to ", kMaxConvolutions,
                  " convolutions");
    for (size_t c = 0; c < list.size(); ++c) {
      const HeaderReader node(list[c], "convolutions[" + std::to_string(c) + "].", source);
      QuantizedTextConvolution conv;
      conv.width = bounded(node, "width", 1, m.max_tokens);
      conv.filters = bounded(node, "filters", 1, kMaxWidth);
      conv.weights = read_array<int8_t>(node, "weights", conv.filters * conv.width * m.embedding_dim,
                                        file.payload, file.payload_bytes);
      conv.weight_scales = read_array<float>(node, "weight_scales", conv.filters, file.payload,
                                             file.payload_bytes);
      conv.bias = read_array<float>(node, "bias", conv.filters, file.payload, file.payload_bytes);
      m.convolutions.push_back(std::move(conv));
    }
  } else {
    DISTILL_CHECK(encoder == "bag", root.where("encoder"), " is \"", encoder,
                  "\", expected \"bag\", \"convolutions\" or \"recurrent\"");
  }
  validate_int8_text_model(m, where);
  return m;
}

Int8TextModel load_int8_text_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DISTILL_CHECK(in.good(), "cannot open int8 text model '", path, "'");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_int8_text_model(bytes, path);
}

}  // namespace distill::runtime
