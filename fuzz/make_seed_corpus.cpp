// Writes the seed corpus of every fuzz target: small valid inputs from which libFuzzer mutates
// (fuzz/corpus/<target>/ keeps them; the regression test replays them).
//
//   make_seed_corpus OUTPUT_DIR
#include <ATen/ATen.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "distill/config/pipeline_config.h"
#include "distill/core/atomic_file.h"
#include "distill/distillation/checkpoint.h"
#include "distill/distillation/fused_sgd.h"
#include "distill/distillation/soft_label_cache.h"
#include "distill/models/model_io.h"
#include "distill/models/module_state.h"
#include "distill/runtime/int8_model_file.h"
#include "distill/runtime/int8_text_model.h"
#include "fuzz_fixtures.h"
#include "runtime_test_models.h"

namespace fs = std::filesystem;
using namespace distill;

namespace {

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  write_file_atomically(dir / name, bytes);
  std::cout << (dir / name).string() << " (" << bytes.size() << " bytes)\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seed_corpus OUTPUT_DIR\n";
    return 2;
  }
  const fs::path out = argv[1];

  write(out / "int8_model_file_fuzz", "static.int8",
        runtime::encode_int8_model(runtime::testing::random_model({4, 3, 2}, runtime::ActivationQuantization::kStatic)));
  write(out / "int8_model_file_fuzz", "cnn.int8",
        runtime::encode_int8_model(runtime::testing::random_cnn_model()));
  write(out / "int8_model_file_fuzz", "dynamic.int8",
        runtime::encode_int8_model(runtime::testing::random_model({4, 3, 2}, runtime::ActivationQuantization::kDynamic)));

  // int8_text_model_fuzz: a text model with a small random head (its tokenizer bytes are not
  // parsed by the decoder; the classifier that loads them is tested on real ones).
  {
    runtime::Int8TextModel text;
    text.tokenizer_model = "tokenizer";
    text.max_tokens = 8;
    text.vocab_size = 10;
    text.bigram_buckets = 3;
    text.embedding_dim = 4;
    text.embeddings.assign(13 * 4, 5);
    text.row_scales.assign(13, 0.01f);
    text.head = runtime::testing::random_model({4, 3}, runtime::ActivationQuantization::kStatic);
    text.class_names = {"a", "b", "c"};
    write(out / "int8_text_model_fuzz", "bag.int8text", runtime::encode_int8_text_model(text));

    // The sequence encoders read no bigram rows.
    text.bigram_buckets = 0;
    text.embeddings.assign(10 * 4, 5);
    text.row_scales.assign(10, 0.01f);
    text.sequence_scale = 0.02f;
    text.sequence_zero_point = 120;
    text.encoder = runtime::TextEncoder::kConvolutions;
    for (int64_t width : {2, 3})
      text.convolutions.push_back({width, 2, std::vector<int8_t>(static_cast<size_t>(2 * width * 4), 3),
                                   {0.01f, 0.02f}, {0.1f, -0.1f}});
    write(out / "int8_text_model_fuzz", "convolutions.int8text", runtime::encode_int8_text_model(text));

    text.convolutions.clear();
    text.encoder = runtime::TextEncoder::kRecurrent;
    text.lstm_units = 2;
    for (int direction = 0; direction < 2; ++direction)
      text.lstm.push_back({std::vector<int8_t>(8 * 4, 2), std::vector<float>(8, 0.01f),
                           std::vector<int8_t>(8 * 2, -3), std::vector<float>(8, 0.02f),
                           std::vector<float>(8, 0.05f)});
    write(out / "int8_text_model_fuzz", "recurrent.int8text", runtime::encode_int8_text_model(text));
  }

  // csv_fuzz: the first byte holds the options (csv_fuzz.cpp).
  write(out / "csv_fuzz", "header.csv", std::string(1, '\0') + "a,b,label\n0.5,1,0\n2,-3e2,1\n");
  write(out / "csv_fuzz", "no-header.csv", std::string(1, '\x01') + "1,0.5,2\n0,1.5,-2\n");
  write(out / "csv_fuzz", "semicolons.csv", std::string(1, '\x18') + "label;x\n3;1\n9;2\n");

  write(out / "config_fuzz", "default.yaml", config::default_config_yaml());
  write(out / "config_fuzz", "small.yaml",
        "seed: 3\nthreads: 1\nteacher:\n  model: {type: mlp, hidden: [8]}\n"
        "distill: {temperature: 2, alpha: 0.5}\n");

  models::SavedModel saved{fuzz::fixture_model(), {{0.5f, 0.5f, 0.5f, 0.5f}, {1, 2, 3, 4}}, "teacher", {}};
  write(out / "model_file_fuzz", "mlp.pt", models::serialize_model(saved));
  write(out / "tensor_file_fuzz", "mlp.pt", models::serialize_model(saved));
  models::ModelSpec cnn;
  cnn.kind = models::ModelKind::kMobileNet;
  cnn.input_shape = {1, 4, 4};
  cnn.channels = {2, 4};
  cnn.num_classes = 3;
  write(out / "model_file_fuzz", "mobilenet.pt",
        models::serialize_model({models::build_classifier(cnn, 1), {}, "student-distilled", {}}));

  // A checkpoint after one SGD step (momentum state present), with best weights.
  auto model = fuzz::fixture_model();
  distillation::FusedSgd optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  model->forward(at::ones({2, 4})).sum().backward();
  optimizer.step();
  std::vector<at::Tensor> best;
  for (const at::Tensor& t : models::module_state(*model)) best.push_back(t.detach().clone());
  distillation::TrainingProgress progress;
  progress.completed_epochs = 1;
  progress.fingerprint = fuzz::fixture_fingerprint();
  const fs::path checkpoint = out / "checkpoint_fuzz" / "after-one-step.pt";
  fs::create_directories(checkpoint.parent_path());
  distillation::save_checkpoint(checkpoint, *model, optimizer, best, progress);
  std::cout << checkpoint.string() << '\n';

  const fs::path cache = out / "soft_label_cache_fuzz" / "fixture.pt";
  fs::create_directories(cache.parent_path());
  distillation::SoftLabelCache::compute(*fuzz::fixture_model(), fuzz::fixture_dataset(), 2).save(cache);
  std::cout << cache.string() << '\n';
  return 0;
}
