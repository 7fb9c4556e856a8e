// The bag-of-embeddings classifier and its family entry.
#include "distill/models/bag_of_embeddings.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "distill/core/error.h"
#include "distill/models/model_family.h"
#include "distill/ops/dropout.h"
#include "distill/ops/embedding_bag.h"
#include "distill/ops/linear.h"
#include "distill/text/bigram_hash.h"
#include "distill/text/tokenizer_options.h"
#include "token_sequences.h"

namespace distill::models {

BagRows bag_rows(const at::Tensor& token_ids, int64_t vocab_size, int64_t bigram_buckets) {
  const at::Tensor ids = token_ids.contiguous();
  const int64_t batch = ids.size(0), length = ids.size(1);
  const int64_t* data = ids.data_ptr<int64_t>();
  const text::BigramBuckets bigram_bucket(std::max<int64_t>(bigram_buckets, 1));
  BagRows bag;
  bag.rows.reserve(static_cast<size_t>(batch * length * (bigram_buckets > 0 ? 2 : 1)));
  bag.offsets.reserve(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    bag.offsets.push_back(static_cast<int64_t>(bag.rows.size()));
    const size_t first = bag.rows.size();
    for (int64_t i = 0; i < length; ++i) {
      const int64_t id = data[b * length + i];
      DISTILL_CHECK(id >= 0 && id < vocab_size, "token id ", id, " at text ", b, ", position ", i,
                    " is outside the vocabulary [0, ", vocab_size, ")");
      if (text::bag_counts_token(id)) bag.rows.push_back(id);
    }
    if (bigram_buckets > 0) {
      const size_t last = bag.rows.size();
      for (size_t i = first + 1; i < last; ++i)
        bag.rows.push_back(vocab_size + bigram_bucket(bag.rows[i - 1], bag.rows[i]));
    }
  }
  return bag;
}

BagOfEmbeddings::BagOfEmbeddings(const ModelSpec& spec) : Classifier(spec) {
  const int64_t rows = spec.vocab_size + spec.bigram_buckets;
  // fastText's initialisation: uniform in ±1/E.
  const double bound = 1.0 / static_cast<double>(spec.embedding_dim);
  embeddings_ = register_parameter(
      "embeddings", at::empty({rows, spec.embedding_dim}).uniform_(-bound, bound));
  head_ = register_module("head", torch::nn::Linear(spec.embedding_dim, spec.num_classes));
}

std::vector<std::string> BagOfEmbeddings::tap_names() const { return {"pooled", "logits"}; }

at::Tensor BagOfEmbeddings::run(const at::Tensor& inputs, FeatureTaps* taps) {
  check_token_batch(spec(), inputs);
  const BagRows bag = bag_rows(inputs.cpu(), spec().vocab_size, spec().bigram_buckets);
  const at::Tensor rows = at::tensor(bag.rows, at::kLong).to(embeddings_.device());
  const at::Tensor offsets = at::tensor(bag.offsets, at::kLong).to(embeddings_.device());
  // mode 1: mean; an empty bag (no counted token) gives zeros.
  const at::Tensor pooled = ops::embedding_bag_mean(embeddings_, rows, offsets);
  if (taps) taps->record("pooled", pooled);
  const at::Tensor logits =
      ops::linear(ops::dropout(pooled, spec().dropout, is_training()), head_->weight, head_->bias);
  if (taps) taps->record("logits", logits);
  return logits;
}

namespace {

void validate_bag(const ModelSpec& spec, const std::string& where) {
  check_spec_range(where, "embedding_dim", spec.embedding_dim, 1, kMaxModelDimension);
  check_spec_range(where, "bigram_buckets", spec.bigram_buckets, 0, kMaxModelDimension * 16);
}

double bag_parameters(const ModelSpec& spec) {
  const double e = static_cast<double>(spec.embedding_dim);
  return static_cast<double>(spec.vocab_size + spec.bigram_buckets) * e +
         (e + 1) * static_cast<double>(spec.num_classes);
}

std::string describe_bag(const ModelSpec& spec) {
  std::string out = std::to_string(spec.embedding_dim) + "-d, vocabulary " +
                    std::to_string(spec.vocab_size);
  if (spec.bigram_buckets > 0)
    out += " + " + std::to_string(spec.bigram_buckets) + " bigram buckets";
  return out + ", " + std::to_string(spec.num_classes) + " classes";
}

}  // namespace

ModelFamily bag_of_embeddings_family() {
  ModelFamily family;
  family.kind = ModelKind::kBagOfEmbeddings;
  family.input = ModelInput::kTokens;
  family.validate = validate_bag;
  family.parameter_bound = bag_parameters;
  family.minimum_parameters = bag_parameters;  // exact
  family.describe = describe_bag;
  family.build = [](const ModelSpec& spec) -> ClassifierPtr {
    return std::make_shared<BagOfEmbeddings>(spec);
  };
  return family;
}

}  // namespace distill::models
