// Runs an Int8Model: quantize the inputs, then one int8 GEMM per layer, activations kept in
// uint8 between layers (static) or requantized per batch (dynamic). No libtorch.
#pragma once

#include <cstdint>
#include <vector>

#include "distill/kernels/int8_gemm.h"
#include "distill/runtime/int8_model.h"

namespace distill::runtime {

/// Which GEMM implementation runs the layers: the plain reference loops or oneDNN.
enum class Int8Kernels { kReference, kOneDnn };

const char* to_string(Int8Kernels kernels);

/// Holds the model, its prepared kernels and scratch buffers. One call at a time per instance;
/// a static model's large batches are split across `threads` OpenMP threads (rows are
/// independent), each running the whole network on its rows.
class Int8Classifier {
 public:
  /// threads: 0 uses OpenMP's default (the process's thread count).
  explicit Int8Classifier(Int8Model model, Int8Kernels kernels = Int8Kernels::kOneDnn,
                          int threads = 0);

  const Int8Model& model() const { return model_; }

  /// inputs: (batch, input_features) floats, the raw features (normalisation is folded into the
  /// model); logits: (batch, num_classes).
  void logits(const float* inputs, int64_t batch, float* logits);

  /// As logits, for inputs already in the model's uint8 input encoding
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
  };
  /// Runs `run(begin, rows, scratch)` over the batch, split across threads when large enough.
  template <typename RowsFunction>
  void for_each_slice(int64_t batch, const RowsFunction& run);
  void run_static(const uint8_t* quantized, int64_t rows, float* logits, Scratch& scratch);
  void run_dynamic(const float* inputs, int64_t rows, float* logits, Scratch& scratch);

  Int8Model model_;
  Int8Kernels kernels_;
  int threads_;
  /// Static mode with oneDNN: one prepared layer per model layer.
  std::vector<kernels::OneDnnInt8Linear> prepared_;
  std::vector<Scratch> scratch_;  // one per thread
};

}  // namespace distill::runtime
