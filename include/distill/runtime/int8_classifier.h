// Runs an Int8Model: quantize the inputs, then (for a CNN) the int8 convolutions on NHWC uint8
// activations and global average pooling, then one int8 GEMM per linear layer, activations kept
// in uint8 between layers (static) or requantized per batch (dynamic). No libtorch.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "distill/kernels/int8_conv.h"
#include "distill/kernels/int8_gemm.h"
#include "distill/runtime/int8_model.h"

namespace distill::runtime {

class SpinningWorkers;

/// Which GEMM implementation runs the layers: the plain reference loops or oneDNN.
enum class Int8Kernels { kReference, kOneDnn };

const char* to_string(Int8Kernels kernels);

/// Holds the model, its prepared kernels and scratch buffers. One call at a time per instance;
/// a static model's large batches are split across `threads` threads (rows are independent),
/// each running the whole network on its rows: the calling thread and workers that spin
/// briefly between calls (src/runtime/spinning_workers.h), started on the first large batch.
class Int8Classifier {
 public:
  /// threads: 0 uses OpenMP's default (the process's thread count).
  explicit Int8Classifier(Int8Model model, Int8Kernels kernels = Int8Kernels::kOneDnn,
                          int threads = 0);
  ~Int8Classifier();
  Int8Classifier(Int8Classifier&&) noexcept;
  Int8Classifier& operator=(Int8Classifier&&) noexcept;

  const Int8Model& model() const { return model_; }

  /// inputs: (batch, input_features) floats, the raw features (normalisation is folded into the
  /// model; images in PyTorch's (C, H, W) order); logits: (batch, num_classes).
  void logits(const float* inputs, int64_t batch, float* logits);

  /// As logits, for inputs already in the model's uint8 input encoding (images in (H, W, C)
  /// order, which is (C, H, W) for one channel)
  /// (q = round(x / input_scale) + input_zero_point), which skips the quantization pass. For
  /// images whose model input is pixel / 255 (input_scale 1/255, zero point 0; what calibration
  /// on [0, 1] pixels gives), these are the raw pixel bytes. Static models only.
  void logits_from_quantized(const uint8_t* inputs, int64_t batch, float* logits);

  /// True when the raw bytes of 8-bit images are the model's quantized inputs: input scale
  /// 1/255 and zero point 0.
  bool takes_pixel_bytes() const;

  /// The arg-max class of each sample.
  std::vector<int64_t> predict(const float* inputs, int64_t batch);

 private:
  struct Scratch {
    std::vector<uint8_t> input;      // quantized inputs
    std::vector<uint8_t> hidden[2];  // static: layer i writes hidden[i % 2]
    std::vector<float> activations[2];  // dynamic: float outputs of hidden layers
    std::vector<std::vector<uint8_t>> convolved;  // CNN: each convolution's output
    std::vector<uint8_t> pooled;                  // CNN: the pooled features
  };
  /// Runs `run(begin, rows, scratch)` over the batch, split across threads when large enough.
  template <typename RowsFunction>
  void for_each_slice(int64_t batch, const RowsFunction& run);
  void quantize_inputs(const float* inputs, int64_t rows, std::vector<uint8_t>& quantized) const;
  void run_static(const uint8_t* quantized, int64_t rows, float* logits, Scratch& scratch);
  /// The convolutions and pooling: returns the pooled features (rows × channels, uint8).
  const uint8_t* run_convolutions(const uint8_t* quantized, int64_t rows, Scratch& scratch);
  void run_linear_layers(const uint8_t* x, int64_t rows, float* logits, Scratch& scratch);
  void run_dynamic(const float* inputs, int64_t rows, float* logits, Scratch& scratch);

  Int8Model model_;
  Int8Kernels kernels_;
  int threads_;
  /// Static mode with oneDNN: one prepared layer per model layer.
  std::vector<kernels::OneDnnInt8Linear> prepared_;
  /// CNN: each convolution's parameters (batch 0), geometry, and oneDNN primitive.
  std::vector<kernels::Int8ConvParams> conv_params_;
  std::vector<kernels::OneDnnInt8Conv> prepared_convs_;
  std::vector<Scratch> scratch_;  // one per thread
  std::unique_ptr<SpinningWorkers> workers_;
};

}  // namespace distill::runtime
