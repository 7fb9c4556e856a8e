// The int8 text classifier as deployed: per-text latency at batch 1 from the UTF-8 string
// (tokenization included), tokenization alone, and throughput over a batch of 256 texts.
// Links the runtime and the tokenizers, no libtorch.
//
// The classifier remembers the ids of the words it has tokenized (text/word_cached_tokenizer.h).
// "FirstPass" benchmarks empty that table whenever they start over at the first text, so each
// text is classified as on a first pass over the file — what `fasttext predict` over the same
// file measures; "WarmTable" ones keep it (a server that has seen these texts' words before);
// "Uncached" ones call the model's tokenizer itself.
//
//   text_runtime_bench MODEL.int8text TEXTS.tsv[.gz] [benchmark flags]
//
// The texts are the `text` column of a labelled file (e.g. the Debian corpus's test split);
// each benchmark cycles through them, so the figures are means over real texts.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "distill/data/text_reader.h"
#include "distill/runtime/int8_text_classifier.h"
#include "distill/text/word_cached_tokenizer.h"

namespace {

std::vector<std::string> g_texts;
std::unique_ptr<distill::runtime::Int8TextClassifier> g_classifier;

/// The next text's index; the word table is emptied (untimed) when the texts start over and
/// `first_pass` is set.
size_t next_text(benchmark::State& state, size_t i, bool first_pass) {
  i = (i + 1) % g_texts.size();
  if (i == 0 && first_pass) {
    state.PauseTiming();
    g_classifier->tokenizer().clear();
    state.ResumeTiming();
  }
  return i;
}

void text_latency_batch1(benchmark::State& state, bool first_pass) {
  g_classifier->tokenizer().clear();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(g_classifier->logits(g_texts[i]));
    i = next_text(state, i, first_pass);
  }
  state.counters["texts/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

void BM_TextLatencyBatch1FirstPass(benchmark::State& state) { text_latency_batch1(state, true); }
void BM_TextLatencyBatch1WarmTable(benchmark::State& state) { text_latency_batch1(state, false); }

void BM_TokenizeOnlyFirstPass(benchmark::State& state) {
  g_classifier->tokenizer().clear();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(g_classifier->model_row(g_texts[i]));
    i = next_text(state, i, true);
  }
}

void BM_TokenizeOnlyUncached(benchmark::State& state) {
  const distill::text::Tokenizer& tokenizer = g_classifier->tokenizer().inner();
  const size_t pieces = static_cast<size_t>(g_classifier->model().max_tokens -
                                            (g_classifier->model().cls_first ? 1 : 0));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tokenizer.encode_prefix(g_texts[i], pieces));
    i = (i + 1) % g_texts.size();
  }
}

void BM_TextThroughputBatch256(benchmark::State& state) {
  std::vector<std::string> batch(256);
  size_t i = 0;
  for (auto _ : state) {
    for (std::string& text : batch) {
      text = g_texts[i];
      i = (i + 1) % g_texts.size();
    }
    benchmark::DoNotOptimize(g_classifier->logits(batch));
  }
  state.counters["texts/s"] = benchmark::Counter(256.0 * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.int8text TEXTS.tsv[.gz] [benchmark flags]\n", argv[0]);
    return 2;
  }
  g_classifier = std::make_unique<distill::runtime::Int8TextClassifier>(
      distill::runtime::Int8TextClassifier::load(argv[1]));
  g_texts = distill::data::read_text_examples(argv[2], {}).texts;
  std::fprintf(stderr, "%zu texts; words %s\n", g_texts.size(),
               g_classifier->tokenizer().caches_words() ? "cached" : "not cached (the tokenizer "
               "segments across spaces)");
  benchmark::RegisterBenchmark("BM_TextLatencyBatch1FirstPass", BM_TextLatencyBatch1FirstPass)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_TextLatencyBatch1WarmTable", BM_TextLatencyBatch1WarmTable)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_TokenizeOnlyFirstPass", BM_TokenizeOnlyFirstPass)->UseRealTime();
  benchmark::RegisterBenchmark("BM_TokenizeOnlyUncached", BM_TokenizeOnlyUncached)->UseRealTime();
  benchmark::RegisterBenchmark("BM_TextThroughputBatch256", BM_TextThroughputBatch256)->UseRealTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
