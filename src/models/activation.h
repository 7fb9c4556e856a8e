// The activation functions a ModelSpec names, applied to a tensor (MLP hidden layers, the
// Transformer's feed-forward layer). Private to the models.
#pragma once

#include <ATen/core/Tensor.h>

#include "distill/models/model_spec.h"

namespace distill::models {

at::Tensor activate(Activation activation, const at::Tensor& x);

}  // namespace distill::models
