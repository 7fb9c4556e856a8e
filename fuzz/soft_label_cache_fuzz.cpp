// libFuzzer target: soft-label cache files must load (for the fixture teacher and dataset's key)
// or give a distill::Error; logits that load must be readable by index.
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "distill/core/error.h"
#include "distill/distillation/soft_label_cache.h"
#include "fuzz_fixtures.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = distill::fuzz::write_fuzz_input(data, size, "soft-labels.pt");
  static const std::string key = distill::distillation::soft_label_key(
      *distill::fuzz::fixture_model(), distill::fuzz::fixture_dataset());
  try {
    const auto cache = distill::distillation::SoftLabelCache::load(path, key);
    if (cache.logits().size(0) > 0) cache.lookup(at::zeros({1}, at::kLong));
  } catch (const distill::Error&) {
  }
  return 0;
}
