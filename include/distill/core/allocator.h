// How the process's heap treats large blocks. glibc serves blocks above a threshold (128 KiB,
// then adaptive) with fresh mmap()s and unmaps them on free, so every training step's
// activations — freed and allocated again each step — fault in their pages anew, and the kernel
// zeroes each page on the way: measured on the ResNet teacher of
// examples/methods/cnn_under_100k.yaml (batch 128, 2 threads), 316 ms per step with glibc's
// defaults and 96 ms with freed blocks kept for reuse (docs/benchmarks.md, "CNN training").
#pragma once

namespace distill {

/// Keeps freed heap memory in the process for the next allocation: blocks up to 32 MiB come
/// from the heap rather than their own mapping, and the heap's top is not given back to the
/// system until 1 GiB of it is free. The resident size then stays near its peak. No effect
/// outside glibc. Idempotent; call before the large allocations start.
void keep_freed_memory_for_reuse();

}  // namespace distill
