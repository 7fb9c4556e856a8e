// Gradients summed over the ranks while the backward pass still runs, the way PyTorch's DDP does
// it: parameters are grouped, in reverse order (the order the backward pass produces their
// gradients), into buckets of at most `bucket_bytes`; as soon as every gradient of a bucket has
// arrived (a hook on each parameter copies it in) and the buckets before it have started, the
// bucket's all-reduce starts on Gloo's threads while the backward pass goes on with the layers
// below. Buckets start in the same order on every rank, whatever order gradients arrive in.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "distill/distributed/communicator.h"

namespace distill::distributed {

class GradientBuckets {
 public:
  /// Hooks `parameters` (those that require a gradient) for the object's lifetime.
  GradientBuckets(const std::vector<at::Tensor>& parameters, Communicator& group,
                  int64_t bucket_bytes);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  /// Call before the step's backward pass (gradients that arrive outside a step are left alone).
  /// With gradient accumulation, call it before the last pass's backward: what the earlier
  /// passes left in a parameter's gradient is summed in with the last pass's.
  void start_step();
  /// Call after it (or instead of it, on a rank with no rows this step): starts the buckets not
  /// started yet — a parameter that got no gradient contributes zeros —, waits for every sum and
  /// sets each parameter's gradient to it. Every rank then holds the same summed gradients.
  void finish_step();

  int64_t bucket_count() const { return static_cast<int64_t>(buckets_.size()); }

 private:
  struct Slot {
    at::Tensor parameter;
    size_t bucket = 0;
    int64_t offset = 0;  // in the bucket's buffer
    bool arrived = false;
    unsigned hook = 0;
  };
  struct Bucket {
    at::Tensor buffer;  // float32, the bucket's gradients end to end
    size_t slots = 0;
    size_t arrived = 0;
    bool started = false;
    int64_t ticket = 0;
  };

  void arrive(size_t slot, const at::Tensor& gradient);
  void start_ready_buckets();
  void start(Bucket& bucket);

  Communicator& group_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  size_t next_to_start_ = 0;
  bool in_step_ = false;
};

}  // namespace distill::distributed
