// Classifies lines of text from standard input with an int8 text model from `distill run` on
// text data, linking only the runtime and the tokenizers (SentencePiece, WordPiece): no
// libtorch, no Python. Build target: int8_classify_text.
//
//   int8_classify_text MODEL.int8text < texts.txt
//
// Prints, per input line, the predicted class and its logit, tab-separated; then, on standard
// error, the texts per second and the mean time per text (tokenization included).
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "distill/core/error.h"
#include "distill/runtime/int8_text_classifier.h"

namespace {

int run(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MODEL.int8text < texts.txt\n", argv[0]);
    return 2;
  }
  distill::runtime::Int8TextClassifier classifier = distill::runtime::Int8TextClassifier::load(argv[1]);
  std::string line;
  int64_t texts = 0;
  double seconds = 0;
  while (std::getline(std::cin, line)) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<float> logits = classifier.logits(line);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t best = 0;
    for (size_t c = 1; c < logits.size(); ++c)
      if (logits[c] > logits[best]) best = c;
    std::printf("%s\t%.4f\n", classifier.class_name(static_cast<int64_t>(best)).c_str(), logits[best]);
    ++texts;
  }
  if (texts > 0)
    std::fprintf(stderr, "%lld texts, %.0f texts/s, %.1f us per text (tokenization included)\n",
                 static_cast<long long>(texts), static_cast<double>(texts) / seconds,
                 1e6 * seconds / static_cast<double>(texts));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const distill::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
