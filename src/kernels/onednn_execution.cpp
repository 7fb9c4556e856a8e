// Reusable oneDNN execution arguments.
#include "onednn_execution.h"

#include "distill/core/error.h"
#include "onednn_engine.h"

namespace distill::kernels {

OneDnnExecution::OneDnnExecution(const dnnl::primitive& primitive, const Fixed& fixed,
                                 const Varying& varying, const dnnl::memory::desc& scratchpad)
    : primitive_(primitive) {
  const dnnl::engine& engine = onednn_engine();
  std::vector<int> keys;
  for (const auto& [key, memory] : fixed) {
    keys.push_back(key);
    memories_.push_back(memory);
  }
  varying_begin_ = memories_.size();
  varying_count_ = varying.size();
  for (const auto& [key, desc] : varying) {
    keys.push_back(key);
    memories_.emplace_back(desc, engine, static_cast<void*>(DNNL_MEMORY_NONE));
  }
  scratchpad_buffer_.resize(scratchpad.get_size());
  keys.push_back(DNNL_ARG_SCRATCHPAD);
  memories_.emplace_back(scratchpad, engine, scratchpad_buffer_.data());
  for (size_t i = 0; i < keys.size(); ++i) arguments_.push_back({keys[i], memories_[i].get()});
}

void OneDnnExecution::execute(std::initializer_list<void*> buffers, const char* what) {
  DISTILL_CHECK(buffers.size() == varying_count_, what, ": ", buffers.size(),
                " buffers given for ", varying_count_, " arguments");
  size_t i = varying_begin_;
  for (void* buffer : buffers) memories_[i++].set_data_handle(buffer);
  dnnl::stream& stream = onednn_stream();
  const dnnl_status_t status = dnnl_primitive_execute(
      primitive_.get(), stream.get(), static_cast<int>(arguments_.size()), arguments_.data());
  DISTILL_CHECK(status == dnnl_success, what, ": oneDNN execution failed with status ",
                static_cast<int>(status));
  stream.wait();
}

}  // namespace distill::kernels
