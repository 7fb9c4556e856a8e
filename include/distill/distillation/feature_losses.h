// Losses on intermediate features (reference implementations in ATen ops, differentiated by
// autograd): FitNets hints, attention transfer, and relational KD (distance and angle).
// Each is checked against PyTorch, closed forms and finite differences in
// tests/distillation/feature_losses_test.cpp; docs/methods.md cites the papers.
#pragma once

#include <ATen/core/Tensor.h>

namespace distill::distillation {

// B = batch. Features are (B, C, H, W) from convolutional layers or (B, F) from dense ones.

/// FitNets (Romero et al. 2015): mean squared error between the student's features, already
/// mapped to the teacher's shape by a learned adapter, and the teacher's features.
at::Tensor hint_loss(const at::Tensor& adapted_student, const at::Tensor& teacher);

/// The spatial attention map of features: (B, C, H, W) -> (B, H·W), the mean over channels of
/// the squared activations, each row scaled to unit L2 norm. (B, F) -> (B, F): the squared
/// activations, each row scaled to unit norm.
at::Tensor attention_map(const at::Tensor& features);

/// Attention transfer (Zagoruyko & Komodakis 2017, p = 2, as in their code): the mean over
/// batch and positions of (attention_map(student) − attention_map(teacher))². Student and
/// teacher maps must have the same number of positions (channels may differ).
at::Tensor attention_transfer_loss(const at::Tensor& student, const at::Tensor& teacher);

/// Relational KD, distance (Park et al. 2019): pairwise Euclidean distances within the batch,
/// each set divided by its mean over distinct pairs, compared with the smooth L1 (Huber, δ = 1)
/// loss averaged over all B² pairs. Features are flattened to (B, D); dimensions may differ.
at::Tensor rkd_distance_loss(const at::Tensor& student, const at::Tensor& teacher);

/// Relational KD, angle: for every triple (i, j, k) the cosine of the angle at j between
/// unit vectors e_ij = (x_i − x_j)/‖x_i − x_j‖ and e_kj, compared with the smooth L1 loss
/// averaged over all B³ triples. Features are flattened to (B, D).
at::Tensor rkd_angle_loss(const at::Tensor& student, const at::Tensor& teacher);

/// TinyBERT's attention loss (Jiao et al. 2020), on attention probabilities (B, heads, L, L):
/// the mean squared difference per head, averaged over heads. Models with different head counts
/// compare their heads' mean maps instead. Batch and length must agree.
at::Tensor attention_matrix_loss(const at::Tensor& student, const at::Tensor& teacher);

/// Throws distill::Error, naming `what`, unless both are (B, heads, L, L) with the same B and L.
void check_attention_matrices(const at::Tensor& student, const at::Tensor& teacher,
                              const std::string& what);

}  // namespace distill::distillation
