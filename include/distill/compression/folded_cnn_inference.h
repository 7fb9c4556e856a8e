// Fast fp32 inference of a CNN: its folded network (batch norm and the input normalisation in the
// convolutions, compression/cnn_int8_export.h) run on oneDNN in blocked layouts
// (kernels::OneDnnFp32ConvNetwork), then the linear head. The same engine as the int8 runtime, so
// an fp32 row of a report timed this way is a fair baseline for its int8 row; run_folded_cnn
// (libtorch) is the reference it is tested against.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "distill/compression/cnn_int8_export.h"
#include "distill/kernels/fp32_conv_network.h"

namespace distill::compression {

/// The convolutions of `network` as a kernels network for inputs of `input_shape` (C, H, W).
/// oneDNN pads with zeros, so a stem that pads with a raw value p (the normalisation mean) becomes
/// a stem on x − p whose bias gains p · Σ w; `input_offset` receives p (0 when nothing is
/// subtracted). Throws distill::Error when a convolution other than those reading the input pads
/// with a non-zero value.
kernels::Fp32ConvNetwork to_conv_network(const FoldedCnn& network,
                                         const std::vector<int64_t>& input_shape,
                                         float* input_offset);

/// One call at a time per instance (its buffers are its own).
class FoldedCnnInference {
 public:
  /// input_shape: one sample's (C, H, W).
  FoldedCnnInference(const FoldedCnn& network, const std::vector<int64_t>& input_shape);

  /// inputs: (batch, C, H, W), what run_folded_cnn takes; logits: (batch, classes).
  void logits(const float* inputs, int64_t batch, float* logits);

  int64_t num_classes() const { return classes_; }
  kernels::OneDnnFp32ConvNetwork& convolutions() { return convolutions_; }

 private:
  float input_offset_ = 0;  // set by to_conv_network in convolutions_' initializer, so first
  kernels::OneDnnFp32ConvNetwork convolutions_;
  int64_t input_features_ = 0;
  int64_t classes_ = 0;
  std::vector<float> head_weight_;  // (classes, channels)
  std::vector<float> head_bias_;    // (classes)
  std::vector<float> shifted_;      // inputs − input_offset
  std::vector<float> pooled_;       // (batch, channels)
};

/// Whether distill runs `model`'s fp32 inference folded on oneDNN: on the fast compute path, for
/// the CNN families. The one rule behind the engine that times a report's fp32 CNN rows and the
/// engine of a live CNN teacher.
bool runs_folded_on_onednn(const models::Classifier& model);

/// FoldedCnnInference of `model` (a resnet or mobilenet spec, eval-mode batch norm) for inputs
/// already normalised as the model takes them.
std::unique_ptr<FoldedCnnInference> folded_cnn_inference(models::Classifier& model);

}  // namespace distill::compression
