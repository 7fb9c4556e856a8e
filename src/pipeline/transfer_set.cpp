// Building the augmented transfer set for a distillation stage.
#include "transfer_set.h"

#include <ATen/ATen.h>

#include <cstdio>

#include "distill/core/error.h"
#include "distill/core/random.h"
#include "distill/models/bag_of_embeddings.h"
#include "distill/models/text_transformer.h"
#include "distill/models/torchscript_classifier.h"

namespace distill::pipeline {
namespace {

// The random stream of the transfer set's augmentation (see core/random.h).
constexpr uint64_t kTransferSetStream = 7'000'000;

/// The teacher's token embedding (V, E), or undefined for a teacher without one.
at::Tensor token_embedding_of(models::Classifier& teacher, int64_t vocab_size) {
  if (auto* transformer = dynamic_cast<models::TextTransformer*>(&teacher))
    return transformer->token_embedding();
  if (auto* bag = dynamic_cast<models::BagOfEmbeddings*>(&teacher))
    return bag->embeddings().narrow(0, 0, vocab_size);
  if (auto* module = dynamic_cast<models::TorchScriptClassifier*>(&teacher))
    return module->token_embedding();
  return {};
}

}  // namespace

data::PreparedData with_transfer_set(const data::PreparedData& data,
                                     const data::TokenAugmentationOptions& transfer_set,
                                     models::Classifier& teacher, uint64_t seed,
                                     bool show_progress) {
  if (transfer_set.copies == 0) return data;
  DISTILL_CHECK_HINT(data.train.has_token_ids(), "remove distill.transfer_set for this data",
                     "distill.transfer_set augments text (token ids); the data is ",
                     data.train.features.scalar_type(), " samples of shape ",
                     data.train.features.sizes().slice(1));
  at::Tensor neighbours;
  if (transfer_set.replace_probability > 0) {
    const at::Tensor embedding = token_embedding_of(teacher, data.train.vocab_size);
    DISTILL_CHECK_HINT(embedding.defined(), "set distill.transfer_set.replace_probability: 0",
                       "distill.transfer_set.replace_probability needs a teacher with a token "
                       "embedding (transformer, bag_of_embeddings, or a TorchScript module with one "
                       "(vocabulary, width) parameter); the teacher is ",
                       models::describe_model_spec(teacher.spec()));
    neighbours = data::nearest_tokens(embedding, transfer_set.neighbours);
  }
  const data::Dataset augmented = data::augment_token_dataset(
      data.train, transfer_set, neighbours, derive_seed(seed, kTransferSetStream));
  data::PreparedData out = data;
  out.train.features = at::cat({data.train.features, augmented.features});
  out.train.labels = at::cat({data.train.labels, augmented.labels});
  if (show_progress)
    std::fprintf(stderr, "transfer set: %lld training texts and %lld augmented copies\n",
                 static_cast<long long>(data.train.size()), static_cast<long long>(augmented.size()));
  return out;
}

}  // namespace distill::pipeline
