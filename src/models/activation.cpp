// ReLU, GELU and tanh by name.
#include "activation.h"

#include <ATen/ATen.h>

namespace distill::models {

at::Tensor activate(Activation activation, const at::Tensor& x) {
  switch (activation) {
    case Activation::kRelu: return at::relu(x);
    case Activation::kGelu: return at::gelu(x);
    case Activation::kTanh: return at::tanh(x);
  }
  return x;
}

}  // namespace distill::models
