// Buckets filled by gradient hooks, all-reduced in order as they fill.
#include "distill/distributed/gradient_buckets.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"

namespace distill::distributed {

GradientBuckets::GradientBuckets(const std::vector<at::Tensor>& parameters, Communicator& group,
                                 int64_t bucket_bytes)
    : group_(group) {
  DISTILL_CHECK(bucket_bytes >= 4, "a gradient bucket of ", bucket_bytes,
                " bytes cannot hold one float32");
  const int64_t bucket_elements = bucket_bytes / 4;
  std::vector<int64_t> bucket_sizes;
  // Reverse order: the backward pass reaches the last layers' parameters first.
  for (auto p = parameters.rbegin(); p != parameters.rend(); ++p) {
    if (!p->requires_grad()) continue;
    DISTILL_CHECK(p->scalar_type() == at::kFloat, "data-parallel training sums float32 gradients; a ",
                  p->scalar_type(), " parameter of shape ", p->sizes(), " cannot be bucketed");
    if (bucket_sizes.empty() ||
        (bucket_sizes.back() > 0 && bucket_sizes.back() + p->numel() > bucket_elements))
      bucket_sizes.push_back(0);
    Slot slot;
    slot.parameter = *p;
    slot.bucket = bucket_sizes.size() - 1;
    slot.offset = bucket_sizes.back();
    bucket_sizes.back() += p->numel();
    slots_.push_back(slot);
  }
  for (const int64_t elements : bucket_sizes) {
    Bucket bucket;
    bucket.buffer = at::zeros({elements}, at::kFloat);
    buckets_.push_back(bucket);
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    ++buckets_[slots_[i].bucket].slots;
    slots_[i].hook = slots_[i].parameter.register_hook(
        [this, i](const at::Tensor& gradient) { arrive(i, gradient); });
  }
}

GradientBuckets::~GradientBuckets() {
  for (Slot& slot : slots_) slot.parameter.remove_hook(slot.hook);
}

void GradientBuckets::start_step() {
  DISTILL_CHECK(!in_step_, "GradientBuckets::start_step called twice without finish_step");
  for (Slot& slot : slots_) slot.arrived = false;
  for (Bucket& bucket : buckets_) {
    bucket.arrived = 0;
    bucket.started = false;
  }
  next_to_start_ = 0;
  in_step_ = true;
}

void GradientBuckets::arrive(size_t index, const at::Tensor& gradient) {
  if (!in_step_) return;
  Slot& slot = slots_[index];
  Bucket& bucket = buckets_[slot.bucket];
  // The engine sums every use of a parameter before calling its hook, so it runs once a step.
  DISTILL_CHECK(!slot.arrived, "the gradient of a parameter of shape ", slot.parameter.sizes(),
                " arrived twice in one step (a second backward pass before finish_step)");
  at::Tensor place =
      bucket.buffer.narrow(0, slot.offset, slot.parameter.numel()).view(slot.parameter.sizes());
  place.copy_(gradient);
  // Gradient accumulation: the step's earlier passes (backward outside the step) left their sum
  // in the parameter's gradient, which this pass's has not been added to yet.
  const at::Tensor& earlier = slot.parameter.grad();
  if (earlier.defined()) place.add_(earlier);
  slot.arrived = true;
  if (++bucket.arrived == bucket.slots) start_ready_buckets();
}

void GradientBuckets::start(Bucket& bucket) {
  bucket.ticket = group_.start_sum(bucket.buffer);
  bucket.started = true;
}

void GradientBuckets::start_ready_buckets() {
  while (next_to_start_ < buckets_.size() &&
         buckets_[next_to_start_].arrived == buckets_[next_to_start_].slots)
    start(buckets_[next_to_start_++]);
}

void GradientBuckets::finish_step() {
  DISTILL_CHECK(in_step_, "GradientBuckets::finish_step called without start_step");
  // Parameters without a gradient in the step's backward pass send what earlier passes left
  // them, or zeros, so every rank sends every bucket.
  for (Slot& slot : slots_) {
    if (slot.arrived || buckets_[slot.bucket].started) continue;
    at::Tensor place = buckets_[slot.bucket].buffer.narrow(0, slot.offset, slot.parameter.numel());
    const at::Tensor& earlier = slot.parameter.grad();
    if (earlier.defined())
      place.view(slot.parameter.sizes()).copy_(earlier);
    else
      place.zero_();
  }
  for (; next_to_start_ < buckets_.size(); ++next_to_start_) start(buckets_[next_to_start_]);
  in_step_ = false;
  for (Bucket& bucket : buckets_) group_.finish_sum(bucket.ticket);
  for (Slot& slot : slots_) {
    const at::Tensor sum =
        buckets_[slot.bucket].buffer.narrow(0, slot.offset, slot.parameter.numel())
            .view(slot.parameter.sizes());
    at::Tensor& gradient = slot.parameter.mutable_grad();
    if (gradient.defined())
      gradient.copy_(sum);
    else
      gradient = sum.clone();
  }
}

}  // namespace distill::distributed
