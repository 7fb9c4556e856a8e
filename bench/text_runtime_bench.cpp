// The int8 text classifier as deployed: per-text latency at batch 1 from the UTF-8 string
// (tokenization included), tokenization alone, and throughput over a batch of 256 texts.
// Links the runtime and the tokenizers, no libtorch.
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

namespace {

std::vector<std::string> g_texts;
std::unique_ptr<distill::runtime::Int8TextClassifier> g_classifier;

void BM_TextLatencyBatch1(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(g_classifier->logits(g_texts[i]));
    i = (i + 1) % g_texts.size();
  }
  state.counters["texts/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

void BM_TokenizeOnly(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(g_classifier->model_row(g_texts[i]));
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
  benchmark::RegisterBenchmark("BM_TextLatencyBatch1", BM_TextLatencyBatch1)->UseRealTime();
  benchmark::RegisterBenchmark("BM_TokenizeOnly", BM_TokenizeOnly)->UseRealTime();
  benchmark::RegisterBenchmark("BM_TextThroughputBatch256", BM_TextThroughputBatch256)->UseRealTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
