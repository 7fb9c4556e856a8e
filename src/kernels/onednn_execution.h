// A prepared oneDNN primitive's execution arguments, built once and re-pointed at each call's
// buffers. Wrapping every buffer in a new dnnl::memory and an argument map on each call cost
// ~0.6 µs per primitive (measured on the default student's layers: 0.87 µs per execution of its
// 128×100×10 product with reused memory objects, 1.46 µs with new ones), which was a third of
// the int8 runtime's batch-1 latency. Used by the runtime's prepared int8 layers.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace distill::kernels {

/// One caller's arguments for one primitive: fixed ones (packed weights, bias), the ones each
/// call points at its own buffers (source, destination), and a scratchpad of its own.
class OneDnnExecution {
 public:
  using Fixed = std::vector<std::pair<int, dnnl::memory>>;
  using Varying = std::vector<std::pair<int, dnnl::memory::desc>>;

  OneDnnExecution(const dnnl::primitive& primitive, const Fixed& fixed, const Varying& varying,
                  const dnnl::memory::desc& scratchpad);
  OneDnnExecution(const OneDnnExecution&) = delete;
  OneDnnExecution& operator=(const OneDnnExecution&) = delete;

  /// Runs the primitive on the calling thread's stream and waits, with `buffers[i]` as the
  /// buffer of the i-th varying argument (oneDNN takes non-const handles; inputs are only read).
  /// Throws distill::Error naming `what` if oneDNN fails.
  void execute(std::initializer_list<void*> buffers, const char* what);

 private:
  dnnl::primitive primitive_;
  std::vector<dnnl::memory> memories_;  // fixed, then varying, then the scratchpad
  size_t varying_begin_ = 0;
  size_t varying_count_ = 0;
  std::vector<uint8_t> scratchpad_buffer_;
  std::vector<dnnl_exec_arg_t> arguments_;
};

/// The executions of one primitive that callers take one at a time: threads running slices of
/// one batch at once each get their own (a primitive's arguments and scratchpad must not be
/// shared by concurrent executions); a caller takes a free one or adds one.
class OneDnnExecutionPool {
 public:
  /// A taken execution, given back when the lease goes away.
  class Lease {
   public:
    Lease(OneDnnExecution* execution, std::atomic<bool>* busy) : execution_(execution), busy_(busy) {}
    ~Lease() { busy_->store(false, std::memory_order_release); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    OneDnnExecution* get() const { return execution_; }
    OneDnnExecution* operator->() const { return execution_; }

   private:
    OneDnnExecution* execution_;
    std::atomic<bool>* busy_;
  };

  /// A free execution, or a new one from `make` (returning std::unique_ptr<OneDnnExecution>).
  template <typename Make>
  Lease take(const Make& make) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::unique_ptr<Entry>& entry : entries_)
      if (!entry->busy.exchange(true, std::memory_order_acquire))
        return Lease(entry->execution.get(), &entry->busy);
    entries_.push_back(std::make_unique<Entry>());
    Entry& entry = *entries_.back();
    entry.execution = make();
    entry.busy.store(true, std::memory_order_relaxed);
    return Lease(entry.execution.get(), &entry.busy);
  }

 private:
  struct Entry {
    std::unique_ptr<OneDnnExecution> execution;
    std::atomic<bool> busy{false};
  };
  std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace distill::kernels
