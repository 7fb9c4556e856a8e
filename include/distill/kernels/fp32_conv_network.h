// A chain of fp32 2-D convolutions ending in global average pooling, on raw buffers without
// libtorch: the feature extractor of a CNN whose batch norm is folded into its convolutions.
// A plain reference and a oneDNN version; tests hold them together.
//
// The oneDNN version keeps the activations in the layout oneDNN's convolution kernels prefer
// (channel-blocked, e.g. nChw16c on AVX-512) from the first convolution's output to the pooling:
// each convolution reads exactly the layout its producer wrote, so no layer reorders. A residual
// is a sum post-op into the destination, computed in place when the shortcut is not read again.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace distill::kernels {

/// One convolution of the network: y = clamp(conv(x, w) + bias [+ residual], clamp_min,
/// clamp_max), padding with zeros.
struct Fp32ConvLayer {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t kernel = 1;  // square
  int64_t stride = 1;
  int64_t padding = 0;  // on every side
  int64_t groups = 1;
  std::vector<float> weights;  // (out, in/groups, kernel, kernel), PyTorch's order
  std::vector<float> bias;     // (out)
  float clamp_min = -std::numeric_limits<float>::infinity();
  float clamp_max = std::numeric_limits<float>::infinity();
  /// Which earlier layer's output this one reads; -1 reads the network's input.
  int32_t input = -1;
  /// An earlier layer's output (of this layer's output shape) added before the clamp; -1: none.
  int32_t residual = -1;

  /// Multiply-adds for one sample whose input is height × width.
  int64_t macs(int64_t height, int64_t width) const;
};

/// The network: an input shape (C, H, W) and its layers in execution order; the last layer's
/// output is averaged over height and width.
struct Fp32ConvNetwork {
  std::vector<int64_t> input_shape;  // (C, H, W)
  std::vector<Fp32ConvLayer> layers;

  /// Channels of the pooled features (the last layer's outputs).
  int64_t pooled_channels() const;
  /// Multiply-adds of the convolutions for one sample.
  int64_t macs_per_sample() const;
};

/// Throws distill::Error naming the layer and field unless sizes are positive, weights and biases
/// have their stated sizes, layers read only earlier outputs, and channels and shapes chain.
void validate(const Fp32ConvNetwork& network);

/// Plain loops (double accumulation). x: (batch, C, H, W); pooled: (batch, pooled_channels()).
void reference_fp32_conv_network(const Fp32ConvNetwork& network, int64_t batch, const float* x,
                                 float* pooled);

/// The network on oneDNN, its primitives and activation buffers prepared once per batch size.
/// One call at a time per instance (calls are serialized); oneDNN's OpenMP threads parallelize
/// each layer, except layers too small to gain from a second thread.
class OneDnnFp32ConvNetwork {
 public:
  explicit OneDnnFp32ConvNetwork(Fp32ConvNetwork network);
  ~OneDnnFp32ConvNetwork();
  OneDnnFp32ConvNetwork(OneDnnFp32ConvNetwork&&) noexcept;
  OneDnnFp32ConvNetwork& operator=(OneDnnFp32ConvNetwork&&) noexcept;

  const Fp32ConvNetwork& network() const;

  /// Same buffers as reference_fp32_conv_network.
  void run(int64_t batch, const float* x, float* pooled);

  /// As run, `repetitions` times after a warm-up call, timing each step: returns the median
  /// seconds of each layer (its residual copy, if any, included) and, last, of the pooling.
  /// For benchmarks: waiting after every step costs what run does not.
  std::vector<double> layer_seconds(int64_t batch, const float* x, float* pooled, int repetitions);

  /// The memory layout oneDNN chose for layer i's output at this batch size (e.g. "aBcd16b"),
  /// for tests and benchmarks.
  std::string layout(int64_t batch, size_t layer);

 private:
  struct Plan;
  struct State;
  /// `seconds`, when given, receives each step's time (layers, then pooling).
  void execute(int64_t batch, const float* x, float* pooled, std::vector<double>* seconds);
  std::unique_ptr<State> state_;
};

}  // namespace distill::kernels
