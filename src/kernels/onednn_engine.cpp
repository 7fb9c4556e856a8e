// The shared oneDNN engine and per-thread streams.
#include "onednn_engine.h"

#include <cstdint>
#include <vector>

#include "distill/core/error.h"

namespace distill::kernels {

const dnnl::engine& onednn_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& onednn_stream() {
  thread_local dnnl::stream stream(onednn_engine());
  return stream;
}

dnnl::primitive_attr onednn_attributes() {
  dnnl::primitive_attr attributes;
  attributes.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attributes;
}

dnnl::memory onednn_scratchpad(const dnnl::memory::desc& desc) {
  thread_local std::vector<uint8_t> buffer;
  if (buffer.size() < desc.get_size()) buffer.resize(desc.get_size());
  return dnnl::memory(desc, onednn_engine(), buffer.data());
}

void onednn_run(const dnnl::primitive& primitive, std::unordered_map<int, dnnl::memory> arguments,
                const dnnl::memory::desc& scratchpad, const char* what) {
  arguments.emplace(DNNL_ARG_SCRATCHPAD, onednn_scratchpad(scratchpad));
  try {
    dnnl::stream& stream = onednn_stream();
    primitive.execute(stream, arguments);
    stream.wait();
  } catch (const dnnl::error& e) {
    DISTILL_FAIL("oneDNN failed in ", what, ": ", e.what());
  }
}

}  // namespace distill::kernels
