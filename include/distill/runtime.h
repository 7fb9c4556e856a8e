// distill::runtime — the libtorch-free int8 runtime: read a model file that `distill run` or
// `distill quantize` wrote and classify with it. Link the target distill::runtime.
//   runtime::Int8Model model = runtime::load_int8_model("student.int8");
//   runtime::Int8Classifier classifier(std::move(model));
// Text students (`.int8text`) from UTF-8 strings: distill/runtime/int8_text_classifier.h with the
// target distill::text_runtime (which adds the tokenizers: SentencePiece and WordPiece).
#pragma once

#include "distill/runtime/int8_classifier.h"   // IWYU pragma: export
#include "distill/runtime/int8_model.h"        // IWYU pragma: export
#include "distill/runtime/int8_model_file.h"   // IWYU pragma: export
#include "distill/runtime/int8_text_model.h"   // IWYU pragma: export
