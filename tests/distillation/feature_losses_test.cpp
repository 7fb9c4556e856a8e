// Feature losses against PyTorch (the papers' reference formulas in /usr/bin/python3), closed
// forms, invariances, and their gradients against central finite differences.
#include "distill/distillation/feature_losses.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>
#include <sstream>

#include "distill/core/error.h"
#include "error_assertions.h"
#include "tensor_assertions.h"
#include "test_support.h"

namespace distill::distillation {
namespace {

using Loss = std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>;

at::Tensor seeded(std::vector<int64_t> shape, uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, generator, at::kDouble);
}

/// Central differences of loss(student, teacher) w.r.t. every student element.
void expect_gradient_matches_finite_differences(const Loss& loss, at::Tensor student,
                                                const at::Tensor& teacher) {
  student = student.clone().requires_grad_();
  loss(student, teacher).backward();
  const at::Tensor analytic = student.grad().clone();
  at::Tensor numeric = at::zeros_like(analytic);
  const double h = 1e-6;
  at::Tensor flat = student.detach().view({-1});
  for (int64_t i = 0; i < flat.numel(); ++i) {
    const double original = flat[i].item<double>();
    flat[i] = original + h;
    const double up = loss(student.detach(), teacher).item<double>();
    flat[i] = original - h;
    const double down = loss(student.detach(), teacher).item<double>();
    flat[i] = original;
    numeric.view({-1})[i] = (up - down) / (2 * h);
  }
  EXPECT_TENSOR_CLOSE(analytic, numeric, 1e-6, 1e-4);
}

TEST(FeatureLosses, HintLossIsTheMeanSquaredError) {
  const at::Tensor s = at::tensor({1.0, 2.0, 3.0, 4.0}, at::kDouble).view({2, 2});
  const at::Tensor t = at::tensor({1.0, 0.0, 3.0, 2.0}, at::kDouble).view({2, 2});
  EXPECT_DOUBLE_EQ(hint_loss(s, t).item<double>(), (0 + 4 + 0 + 4) / 4.0);
  EXPECT_THROW(hint_loss(s, t.view({4})), Error);
}

TEST(FeatureLosses, AttentionMapClosedForm) {
  // Two channels on a 1x2 grid: energies (1+9)/2 = 5 and (4+16)/2 = 10, normalised to unit norm.
  const at::Tensor f = at::tensor({1.0, 2.0, 3.0, 4.0}, at::kDouble).view({1, 2, 1, 2});
  const double norm = std::sqrt(25.0 + 100.0);
  EXPECT_TENSOR_CLOSE(attention_map(f), at::tensor({5 / norm, 10 / norm}, at::kDouble).view({1, 2}));
  // Channels may differ between student and teacher; positions may not.
  EXPECT_NO_THROW(attention_transfer_loss(seeded({3, 4, 5, 5}, 1), seeded({3, 8, 5, 5}, 2)));
  EXPECT_THROW(attention_transfer_loss(seeded({3, 4, 5, 5}, 1), seeded({3, 4, 3, 3}, 2)), Error);
}

TEST(FeatureLosses, RelationalLossesIgnoreScaleAndTranslation) {
  const at::Tensor t = seeded({6, 5}, 3);
  // Scaling all embeddings keeps normalised distances; scaling and shifting keeps angles.
  EXPECT_NEAR(rkd_distance_loss(t * 3.5, t).item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(rkd_angle_loss(t * 0.2 + 4.0, t).item<double>(), 0.0, 1e-12);
  // Dimensions may differ (only relations are compared); a different geometry costs something.
  EXPECT_GT(rkd_distance_loss(seeded({6, 3}, 4), t).item<double>(), 1e-3);
  EXPECT_GT(rkd_angle_loss(seeded({6, 3}, 4), t).item<double>(), 1e-3);
  EXPECT_THROW(rkd_distance_loss(seeded({5, 3}, 4), t), Error);
}

TEST(FeatureLosses, GradientsMatchFiniteDifferences) {
  const at::Tensor teacher_maps = seeded({3, 4, 3, 3}, 5), teacher_embeddings = seeded({5, 4}, 6);
  expect_gradient_matches_finite_differences(hint_loss, seeded({3, 4, 3, 3}, 7), teacher_maps);
  expect_gradient_matches_finite_differences(attention_transfer_loss, seeded({3, 2, 3, 3}, 8),
                                             teacher_maps);
  expect_gradient_matches_finite_differences(rkd_distance_loss, seeded({5, 3}, 9),
                                             teacher_embeddings);
  expect_gradient_matches_finite_differences(rkd_angle_loss, seeded({5, 3}, 10),
                                             teacher_embeddings);
  expect_gradient_matches_finite_differences(attention_matrix_loss, seeded({2, 2, 3, 3}, 11),
                                             seeded({2, 4, 3, 3}, 12));
}

TEST(FeatureLosses, TeacherReceivesNoGradient) {
  for (const Loss& loss : std::vector<Loss>{attention_transfer_loss, rkd_distance_loss,
                                            rkd_angle_loss, attention_matrix_loss}) {
    at::Tensor s = seeded({4, 2, 3, 3}, 1).requires_grad_();
    at::Tensor t = seeded({4, 2, 3, 3}, 2).requires_grad_();
    loss(s, t).backward();
    EXPECT_TRUE(s.grad().defined());
    EXPECT_FALSE(t.grad().defined());
  }
}

TEST(FeatureLosses, MatchPyTorchReferenceCode) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  // Attention transfer as in Zagoruyko's code; RKD as in Park et al.'s code (pdist, F.normalize).
  const std::string script = R"(
import torch, torch.nn.functional as F
def seq(n, k):
    return torch.tensor([((i * 37 + k * 11) % 17 - 8) / 4.0 for i in range(n)], dtype=torch.float64)
s4, t4 = seq(2*3*4*4, 1).view(2, 3, 4, 4).requires_grad_(), seq(2*5*4*4, 2).view(2, 5, 4, 4)
s2, t2 = seq(5*3, 3).view(5, 3).requires_grad_(), seq(5*4, 4).view(5, 4)
at = lambda x: F.normalize(x.pow(2).mean(1).view(x.size(0), -1))
def pdist(e, eps=1e-12):
    sq = e.pow(2).sum(dim=1)
    res = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * e @ e.t()).clamp(min=eps).sqrt().clone()
    res[range(len(e)), range(len(e))] = 0
    return res
def rkd_d(s, t):
    td = pdist(t); td = td / td[td > 0].mean()
    d = pdist(s); d = d / d[d > 0].mean()
    return F.smooth_l1_loss(d, td)
def rkd_a(s, t):
    ang = lambda x: torch.bmm(F.normalize(x.unsqueeze(0) - x.unsqueeze(1), p=2, dim=2), F.normalize(x.unsqueeze(0) - x.unsqueeze(1), p=2, dim=2).transpose(1, 2)).view(-1)
    return F.smooth_l1_loss(ang(s), ang(t))
# TinyBERT's attention loss: MSE per head (equal heads), or of the heads' mean maps.
sa = torch.softmax(seq(2*2*3*3, 5).view(2, 2, 3, 3), -1)
ta = torch.softmax(seq(2*2*3*3, 6).view(2, 2, 3, 3), -1)
ta4 = torch.softmax(seq(2*4*3*3, 7).view(2, 4, 3, 3), -1)
for loss in [(at(s4) - at(t4)).pow(2).mean(), rkd_d(s2, t2), rkd_a(s2, t2), F.mse_loss(sa, ta),
             F.mse_loss(sa.mean(1), ta4.mean(1))]:
    print(repr(loss.item()))
)";
  const auto result = testing::run_command({"/usr/bin/python3", "-c", script});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::istringstream in(result.output);
  double at_expected = 0, distance_expected = 0, angle_expected = 0, heads_expected = 0,
         mean_expected = 0;
  in >> at_expected >> distance_expected >> angle_expected >> heads_expected >> mean_expected;
  auto seq = [](int64_t n, int64_t k) {
    at::Tensor t = at::empty({n}, at::kDouble);
    for (int64_t i = 0; i < n; ++i) t[i] = static_cast<double>((i * 37 + k * 11) % 17 - 8) / 4.0;
    return t;
  };
  EXPECT_NEAR(attention_transfer_loss(seq(96, 1).view({2, 3, 4, 4}), seq(160, 2).view({2, 5, 4, 4}))
                  .item<double>(),
              at_expected, 1e-12);
  EXPECT_NEAR(rkd_distance_loss(seq(15, 3).view({5, 3}), seq(20, 4).view({5, 4})).item<double>(),
              distance_expected, 1e-12);
  EXPECT_NEAR(rkd_angle_loss(seq(15, 3).view({5, 3}), seq(20, 4).view({5, 4})).item<double>(),
              angle_expected, 1e-12);
  const at::Tensor sa = at::softmax(seq(36, 5).view({2, 2, 3, 3}), -1);
  const at::Tensor ta = at::softmax(seq(36, 6).view({2, 2, 3, 3}), -1);
  const at::Tensor ta4 = at::softmax(seq(72, 7).view({2, 4, 3, 3}), -1);
  EXPECT_NEAR(attention_matrix_loss(sa, ta).item<double>(), heads_expected, 1e-12);
  EXPECT_NEAR(attention_matrix_loss(sa, ta4).item<double>(), mean_expected, 1e-12);
}

TEST(FeatureLosses, AttentionMatricesMustBeSquareAndAgreeInBatchAndLength) {
  EXPECT_NO_THROW(attention_matrix_loss(seeded({2, 2, 5, 5}, 1), seeded({2, 4, 5, 5}, 2)));
  EXPECT_STREQ(testing::thrown_error([] {
                 attention_matrix_loss(seeded({2, 5, 8}, 1), seeded({2, 2, 5, 5}, 2));
               }).what(),
               "attention_matrix: attention matrices are (B, heads, L, L); the student's tap is "
               "[2, 5, 8] and the teacher's [2, 2, 5, 5]");
  EXPECT_THROW(attention_matrix_loss(seeded({2, 2, 4, 4}, 1), seeded({2, 2, 5, 5}, 2)), Error);
}

}  // namespace
}  // namespace distill::distillation
