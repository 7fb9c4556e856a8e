// libFuzzer target: training checkpoints must restore into the model and optimizer being
// trained, or give a distill::Error naming what does not match. The seed corpus holds a valid
// checkpoint of the fixture model (fuzz_fixtures.h) with SGD momentum state.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "distill/core/error.h"
#include "distill/distillation/checkpoint.h"
#include "distill/distillation/fused_sgd.h"
#include "fuzz_fixtures.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = distill::fuzz::write_fuzz_input(data, size, "checkpoint.pt");
  auto model = distill::fuzz::fixture_model();
  distill::distillation::FusedSgd optimizer(model->parameters(),
                                            torch::optim::SGDOptions(0.1).momentum(0.9));
  std::vector<at::Tensor> best_state;
  try {
    distill::distillation::load_checkpoint(path, *model, optimizer, best_state,
                                          distill::fuzz::fixture_fingerprint());
    // What loaded must be usable: a training step through the fused optimizer.
    model->forward(at::ones({2, 4})).sum().backward();
    optimizer.step();
  } catch (const distill::Error&) {
  }
  return 0;
}
