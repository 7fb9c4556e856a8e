// The fused SGD update against the rule written out step by step in double precision (the
// libtorch optimizer comparison is in tests/distillation/fused_sgd_test.cpp).
#include "distill/kernels/sgd_update.h"

#include <gtest/gtest.h>

#include <vector>

namespace distill::kernels {
namespace {

struct Case {
  SgdHyperparameters hyper;
  const char* name;
};

TEST(SgdUpdate, FollowsTheUpdateRuleOverSeveralSteps) {
  const Case cases[] = {
      {{0.1, 0.0, 0.0, 0.0, false}, "plain"},
      {{0.1, 0.0, 0.0, 0.01, false}, "weight decay"},
      {{0.05, 0.9, 0.0, 0.0, false}, "momentum"},
      {{0.05, 0.9, 0.1, 0.001, false}, "momentum, dampening, weight decay"},
      {{0.05, 0.9, 0.0, 0.001, true}, "nesterov"},
  };
  for (const Case& c : cases) {
    const SgdHyperparameters& h = c.hyper;
    std::vector<float> param = {1.0f, -2.0f, 0.5f}, buffer(3);
    std::vector<double> expected_param = {1.0, -2.0, 0.5}, expected_buffer(3);
    for (int step = 0; step < 4; ++step) {
      const std::vector<float> grad = {0.3f * (step + 1), -0.2f, 0.05f * step};
      sgd_update_f32(h, step == 0, 3, param.data(), grad.data(), buffer.data());
      for (int i = 0; i < 3; ++i) {
        double d = grad[i] + h.weight_decay * expected_param[i];
        if (h.momentum != 0) {
          expected_buffer[i] = step == 0 ? d
                                         : h.momentum * expected_buffer[i] + (1 - h.dampening) * d;
          d = h.nesterov ? d + h.momentum * expected_buffer[i] : expected_buffer[i];
        }
        expected_param[i] -= h.learning_rate * d;
        ASSERT_NEAR(param[i], expected_param[i], 1e-6) << c.name << ", step " << step;
      }
    }
  }
}

}  // namespace
}  // namespace distill::kernels
