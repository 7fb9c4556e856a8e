// One LSTM step's cell update from the gates' pre-activations — the float part of the int8
// BiLSTM student's recurrence: the scalar reference and an AVX-512 version (chosen at run time
// when the CPU has it) with a vectorized exponential, held together by
// tests/kernels/lstm_cell_test.cpp.
#pragma once

#include <cstdint>

namespace distill::kernels {

/// For u in [0, units), with a = input_gates + recurrent_gates laid out as PyTorch's LSTM orders
/// its gates (i, f, g, o: blocks of `units`):
///   c[u] ← σ(a_f)·c[u] + σ(a_i)·tanh(a_g),   h[u] ← σ(a_o)·tanh(c[u]),
/// σ(x) = 1 / (1 + e^−x) and tanh(x) = 2σ(2x) − 1. The fast path's exponential is within ~1 unit
/// in the last place of std::exp: h and c stay within 5e-7 (relative, for c) of the reference's.
/// `saved` (5 · units, or null): what the backward step reads — the activations σ(a_i), σ(a_f),
/// tanh(a_g), σ(a_o) and tanh(c), in blocks of `units`.
void lstm_cell_update(const float* input_gates, const float* recurrent_gates, int64_t units,
                      float* h, float* c, float* saved = nullptr);

/// The scalar reference of lstm_cell_update (std::exp).
void reference_lstm_cell_update(const float* input_gates, const float* recurrent_gates,
                                int64_t units, float* h, float* c, float* saved = nullptr);

/// The step's gradient, backwards: from `saved` (lstm_cell_update's), the cell before the step
/// (`c_before`; null: zeros), dh = ∂loss/∂h and dc = ∂loss/∂c after the step (from the later
/// steps), writes ∂loss/∂a for the four gates' pre-activations (i, f, g, o blocks of `units`)
/// into `gate_gradients` and replaces dc by ∂loss/∂c before the step.
void lstm_cell_backward(const float* saved, const float* c_before, const float* dh, int64_t units,
                        float* dc, float* gate_gradients);

}  // namespace distill::kernels
