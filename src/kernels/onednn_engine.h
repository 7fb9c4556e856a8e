// The process's oneDNN CPU engine and a primitive cache keyed by the callers' own descriptions,
// shared by the fp32 training kernels and the int8 runtime.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace distill::kernels {

/// The CPU engine (created on first use).
const dnnl::engine& onednn_engine();

/// A stream on that engine for the calling thread; oneDNN's CPU streams run in order.
dnnl::stream& onednn_stream();

/// Primitive attributes every distill primitive uses: a user-provided scratchpad, because
/// oneDNN's own (library-managed) scratchpad makes concurrent executions of one primitive race.
dnnl::primitive_attr onednn_attributes();

/// A scratchpad for one execution on the calling thread: memory of `desc` over a per-thread
/// buffer that grows as needed. Valid until the thread's next call.
dnnl::memory onednn_scratchpad(const dnnl::memory::desc& desc);

/// Runs `primitive` on the calling thread's stream with `arguments` plus a scratchpad of
/// `scratchpad` (onednn_scratchpad) and waits; a oneDNN error becomes a distill::Error
/// "oneDNN failed in <what>: ...".
void onednn_run(const dnnl::primitive& primitive, std::unordered_map<int, dnnl::memory> arguments,
                const dnnl::memory::desc& scratchpad, const char* what);

/// A matmul with the scratchpad layout each execution must provide.
struct OneDnnMatmul {
  explicit OneDnnMatmul(const dnnl::matmul::primitive_desc& pd)
      : primitive(pd), scratchpad(pd.scratchpad_desc()) {}
  dnnl::matmul primitive;
  dnnl::memory::desc scratchpad;
};

/// Primitives keyed by a string the caller builds from the shape and options; `make` runs once per
/// key. Creating a primitive costs tens of microseconds, more than a small matmul, so training
/// loops must not rebuild them per batch.
template <typename Primitive>
class PrimitiveCache {
 public:
  const Primitive& get(const std::string& key, const std::function<Primitive()>& make) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = primitives_.find(key);
    if (found == primitives_.end()) found = primitives_.emplace(key, make()).first;
    return found->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, Primitive> primitives_;
};

}  // namespace distill::kernels
