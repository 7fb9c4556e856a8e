// libFuzzer target: the pipeline config reader (YAML) must turn any text into a validated
// config or a distill::Error — never a crash, a yaml-cpp exception or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "distill/config/pipeline_config.h"
#include "distill/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    distill::config::parse_pipeline_config(std::string(reinterpret_cast<const char*>(data), size),
                                           "fuzz input");
  } catch (const distill::Error&) {
  }
  return 0;
}
