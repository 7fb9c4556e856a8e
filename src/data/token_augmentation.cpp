// Masking, similar-token replacement and n-gram sampling of token-id rows.
#include "distill/data/token_augmentation.h"

#include <ATen/ATen.h>

#include <random>

#include "distill/core/error.h"
#include "distill/text/tokenizer_options.h"

namespace distill::data {

void validate_token_augmentation(const TokenAugmentationOptions& o, const std::string& where) {
  DISTILL_CHECK(o.copies >= 0 && o.copies <= 100, where, ".copies = ", o.copies,
                ": expected a value in [0, 100]");
  const auto probability = [&](double p, const char* field) {
    DISTILL_CHECK(p >= 0 && p <= 1, where, ".", field, " = ", p, ": expected a value in [0, 1]");
  };
  probability(o.mask_probability, "mask_probability");
  probability(o.replace_probability, "replace_probability");
  probability(o.ngram_probability, "ngram_probability");
  DISTILL_CHECK(o.mask_probability + o.replace_probability <= 1, where,
                ".mask_probability + replace_probability = ",
                o.mask_probability + o.replace_probability, ": expected at most 1");
  DISTILL_CHECK(o.neighbours >= 1 && o.neighbours <= 1000, where, ".neighbours = ", o.neighbours,
                ": expected a value in [1, 1000]");
  DISTILL_CHECK(o.ngram_max_tokens >= 1, where, ".ngram_max_tokens = ", o.ngram_max_tokens,
                ": expected >= 1");
}

at::Tensor nearest_tokens(const at::Tensor& embedding, int64_t k) {
  DISTILL_CHECK(embedding.dim() == 2 && embedding.size(0) > text::kFirstPieceId + k,
                "nearest tokens need a (V, E) embedding with more than ", text::kFirstPieceId + k,
                " rows, got ", embedding.sizes());
  at::NoGradGuard no_grad;
  const at::Tensor rows = embedding.detach().to(at::kFloat);
  const at::Tensor unit = rows / rows.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  const int64_t vocab = unit.size(0), chunk = 1024;
  at::Tensor result = at::empty({vocab, k}, at::kLong);
  for (int64_t start = 0; start < vocab; start += chunk) {
    const int64_t rows = std::min(chunk, vocab - start);
    at::Tensor similarity = at::matmul(unit.narrow(0, start, rows), unit.t());
    similarity.narrow(1, 0, text::kFirstPieceId).fill_(-2.0);  // special ids are never chosen
    similarity.diagonal(start).fill_(-2.0);                  // nor the token itself
    result.narrow(0, start, rows).copy_(std::get<1>(similarity.topk(k, 1)));
  }
  return result;
}

Dataset augment_token_dataset(const Dataset& train, const TokenAugmentationOptions& options,
                              const at::Tensor& neighbours, uint64_t seed) {
  validate_token_augmentation(options, "transfer_set");
  DISTILL_CHECK(train.has_token_ids(), "the augmented transfer set takes token-id data (text)");
  DISTILL_CHECK(options.replace_probability == 0 ||
                    (neighbours.defined() && neighbours.dim() == 2 &&
                     neighbours.size(0) == train.vocab_size),
                "replacing tokens by similar ones needs the teacher's (", train.vocab_size,
                ", k) nearest tokens");
  const at::Tensor ids = train.features.contiguous();
  const int64_t n = ids.size(0), length = ids.size(1), copies = options.copies;
  at::Tensor out = at::zeros({n * copies, length}, at::kLong);
  const int64_t* in = ids.data_ptr<int64_t>();
  int64_t* o = out.data_ptr<int64_t>();
  const at::Tensor near = neighbours.defined() ? neighbours.contiguous() : at::Tensor();
  const int64_t* near_data = near.defined() ? near.data_ptr<int64_t>() : nullptr;
  const int64_t k = near.defined() ? near.size(1) : 0;

  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<int64_t> tokens;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t* row = in + i * length;
    const bool cls = row[0] == text::kClsTokenId;
    int64_t end = length;
    while (end > 0 && row[end - 1] == text::kPadTokenId) --end;
    for (int64_t c = 0; c < copies; ++c) {
      tokens.assign(row + (cls ? 1 : 0), row + end);
      for (int64_t& token : tokens) {
        const double draw = uniform(random);
        if (draw < options.mask_probability) {
          token = text::kMaskTokenId;
        } else if (draw < options.mask_probability + options.replace_probability &&
                   token >= text::kFirstPieceId) {
          token = near_data[token * k + static_cast<int64_t>(random() % static_cast<uint64_t>(k))];
        }
      }
      size_t first = 0, count = tokens.size();
      if (!tokens.empty() && uniform(random) < options.ngram_probability) {
        const size_t most = std::min(tokens.size(), static_cast<size_t>(options.ngram_max_tokens));
        count = 1 + static_cast<size_t>(random() % most);
        first = static_cast<size_t>(random() % (tokens.size() - count + 1));
      }
      int64_t* target = o + (i * copies + c) * length;
      int64_t position = 0;
      if (cls) target[position++] = text::kClsTokenId;
      for (size_t t = first; t < first + count && position < length; ++t) target[position++] = tokens[t];
    }
  }
  Dataset augmented;
  augmented.features = out;
  augmented.labels = train.labels.repeat_interleave(copies);
  augmented.num_classes = train.num_classes;
  augmented.class_names = train.class_names;
  augmented.vocab_size = train.vocab_size;
  return augmented;
}

}  // namespace distill::data
