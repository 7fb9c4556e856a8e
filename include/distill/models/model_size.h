// How big a model is: parameter count and bytes of its weights and buffers.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>

namespace distill::models {

struct ModelSize {
  int64_t parameters = 0;  // trainable scalars
  int64_t bytes = 0;       // parameters and buffers (e.g. batch-norm statistics) as stored
};

ModelSize measure_model_size(const torch::nn::Module& model);

}  // namespace distill::models
