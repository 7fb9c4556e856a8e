// SentencePiece training and encoding behind distill's tokenizer interface.
#include "distill/text/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"

namespace distill::text {
namespace {

/// The training texts, handed to SentencePiece one by one without a temporary file.
class TextIterator : public sentencepiece::SentenceIterator {
 public:
  explicit TextIterator(const std::vector<std::string>& texts) : texts_(texts) {}
  bool done() const override { return index_ >= texts_.size(); }
  void Next() override { ++index_; }
  const std::string& value() const override { return texts_[index_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& texts_;
  size_t index_ = 0;
};

/// SentencePiece's meta symbol for a space, U+2581 in UTF-8.
constexpr std::string_view kSpaceSymbol = "\xe2\x96\x81";

std::vector<int> encode_ids(const sentencepiece::SentencePieceProcessor& processor,
                            std::string_view text) {
  std::vector<int> ids;
  const auto status = processor.Encode(text, &ids);
  DISTILL_CHECK(status.ok(), "tokenizing a text of ", text.size(), " bytes failed: ", status.ToString());
  return ids;
}

/// See encodes_words_independently(): the vocabulary's pieces are read, then a few words are
/// encoded alone and after spaces.
bool segments_words_independently(const sentencepiece::SentencePieceProcessor& processor) {
  for (int id = 0; id < processor.GetPieceSize(); ++id) {
    const std::string& piece = processor.IdToPiece(id);
    if (piece.find(kSpaceSymbol, 1) != std::string::npos) return false;
  }
  for (const std::string_view word : {"a", "the", "x1", "Hello,"}) {
    std::vector<int> twice = encode_ids(processor, word);
    if (twice.empty()) return false;
    const std::vector<int> once = twice;
    twice.insert(twice.end(), once.begin(), once.end());
    const std::string w(word);
    if (encode_ids(processor, w + " " + w) != twice || encode_ids(processor, w + "  " + w) != twice ||
        encode_ids(processor, " " + w) != once)
      return false;
  }
  return true;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(
    std::shared_ptr<const sentencepiece::SentencePieceProcessor> processor, std::string serialized)
    : processor_(std::move(processor)), serialized_(std::move(serialized)) {
  words_independent_ = segments_words_independently(*processor_);
}

SentencePieceTokenizer SentencePieceTokenizer::train(const std::vector<std::string>& texts,
                                                     const TokenizerOptions& options) {
  validate_tokenizer_options(options, "tokenizer");
  DISTILL_CHECK(!texts.empty(), "a tokenizer needs training texts");
  std::ostringstream args;
  // Fixed ids for padding, unknown and the two control pieces; no <s> and </s>. The input is
  // not shuffled or sampled, so training is deterministic; hard_vocab_limit=false lets a small
  // corpus end below vocab_size instead of failing.
  args << "--model_type=" << to_string(options.model) << " --vocab_size=" << options.vocab_size
       << " --character_coverage=" << options.character_coverage
       << " --pad_id=" << kPadId << " --unk_id=" << kUnknownId
       << " --bos_id=-1 --eos_id=-1 --control_symbols=<cls>,<mask>"
       << " --shuffle_input_sentence=false --input_sentence_size=0 --hard_vocab_limit=false"
       << " --num_threads=2 --minloglevel=2";
  TextIterator iterator(texts);
  std::string serialized;
  const auto status =
      sentencepiece::SentencePieceTrainer::Train(args.str(), &iterator, &serialized);
  DISTILL_CHECK(status.ok(), "training the SentencePiece tokenizer on ", texts.size(),
                " texts failed: ", status.ToString());
  return from_serialized(serialized, "the trained tokenizer");
}

SentencePieceTokenizer SentencePieceTokenizer::from_serialized(const std::string& bytes,
                                                               const std::string& source) {
  auto processor = std::make_shared<sentencepiece::SentencePieceProcessor>();
  const auto status = processor->LoadFromSerializedProto(bytes);
  DISTILL_CHECK_HINT(status.ok(), "give the .model file SentencePiece wrote (spm_train) or distill saved",
                     source, " is not a SentencePiece model: ", status.ToString());
  const auto id_of = [&](const char* piece) { return processor->PieceToId(piece); };
  DISTILL_CHECK_HINT(processor->pad_id() == kPadId && processor->unk_id() == kUnknownId &&
                         id_of("<cls>") == kClsId && id_of("<mask>") == kMaskId,
                     "train it with --pad_id=0 --unk_id=1 --bos_id=-1 --eos_id=-1 "
                     "--control_symbols=<cls>,<mask>",
                     source, ": distill needs padding at id 0, <unk> at 1, <cls> at 2 and <mask> at "
                     "3; this model has padding at ", processor->pad_id(), ", <unk> at ",
                     processor->unk_id(), ", <cls> at ", id_of("<cls>"), ", <mask> at ",
                     id_of("<mask>"));
  return SentencePieceTokenizer(std::move(processor), bytes);
}

SentencePieceTokenizer SentencePieceTokenizer::load(const std::filesystem::path& path) {
  DISTILL_CHECK(std::filesystem::exists(path), "tokenizer '", path.string(), "': no such file");
  return from_serialized(read_file_bytes(path), "'" + path.string() + "'");
}

void SentencePieceTokenizer::save(const std::filesystem::path& path) const {
  write_file_atomically(path, serialized_);
}

int32_t SentencePieceTokenizer::vocab_size() const { return processor_->GetPieceSize(); }

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text) const {
  const std::vector<int> ids = encode_ids(*processor_, text);
  return std::vector<int32_t>(ids.begin(), ids.end());
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::vector<int> kept;
  for (int32_t id : ids)
    if (id != kPadId && id != kClsId && id != kMaskId) kept.push_back(id);
  return processor_->DecodeIds(kept);
}

void SentencePieceTokenizer::check_id(int32_t id) const {
  DISTILL_CHECK(id >= 0 && id < vocab_size(), "token id ", id, " is outside the vocabulary [0, ",
                vocab_size(), ")");
}

std::string SentencePieceTokenizer::piece(int32_t id) const {
  check_id(id);
  return processor_->IdToPiece(id);
}

float SentencePieceTokenizer::piece_score(int32_t id) const {
  check_id(id);
  return processor_->GetScore(id);
}

}  // namespace distill::text
