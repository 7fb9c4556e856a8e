// Several processes training as one: data-parallel SGD on PyTorch's c10d (ProcessGroupGloo over
// TCP, a TCPStore rendezvous), launched the way PyTorch users launch torchrun jobs — RANK,
// WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT in the environment (docs/distributed.md).
// Nothing of c10d appears here; src/distributed/communicator.cpp holds it.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace distill::distributed {

struct WorldOptions {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  std::string master_address = "127.0.0.1";
  int master_port = 29500;
  /// How long joining the group, and then any one collective, may take before it is an error
  /// naming the rank (a dead or stalled worker ends the others' wait).
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  /// The most gradient bytes one all-reduce carries during the backward pass
  /// (distributed/gradient_buckets.h); DISTILL_BUCKET_MB in the environment.
  int64_t bucket_bytes = kDefaultBucketBytes;
  static constexpr int64_t kDefaultBucketBytes = 1 << 20;
};

/// torchrun's variables, or nullopt when WORLD_SIZE is unset (one process). RANK < WORLD_SIZE,
/// a port in 1..65535 and every value a number are checked; errors name the variable and value.
/// DISTILL_DISTRIBUTED_TIMEOUT (seconds) sets `timeout`, DISTILL_BUCKET_MB (MiB, may be
/// fractional) `bucket_bytes`.
std::optional<WorldOptions> world_from_environment();

/// One process's membership in the group. Collectives are blocking; a failure (a peer that died,
/// a timeout) throws distill::Error naming this rank and the operation.
class Communicator {
 public:
  /// Joins the group: rank 0 serves the rendezvous at master_address:master_port (a port in use
  /// is an error naming it), the others connect to it (an unreachable master is an error after
  /// `timeout`), every rank checks that the others were started with its WORLD_SIZE (a mismatch
  /// is an error naming both values), then the Gloo transport connects every pair.
  static std::shared_ptr<Communicator> connect(const WorldOptions& options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const;
  int size() const;
  bool is_main() const { return rank() == 0; }
  const WorldOptions& world() const;

  /// Sums doubles over the ranks (per-epoch counters: loss sums, correct counts).
  std::vector<double> all_reduce_sum(const std::vector<double>& values);
  /// Starts summing `buffer` (float32, contiguous) over the ranks in place on Gloo's own threads,
  /// so computation continues meanwhile; finish_sum(ticket) waits for it. Every rank starts the
  /// same sums in the same order.
  int64_t start_sum(const at::Tensor& buffer);
  void finish_sum(int64_t ticket);
  /// Every rank's `rows` concatenated in rank order, on every rank. `rows` has the same dtype
  /// and trailing shape everywhere; rank r passes counts[r] rows (counts: every rank's count).
  at::Tensor all_gather_rows(const at::Tensor& rows, const std::vector<int64_t>& counts);
  /// Waits until every rank has arrived.
  void barrier();
  /// Wall time spent in collectives so far (waiting for slower ranks included): the
  /// communication share a training epoch reports.
  double collective_seconds() const;

 private:
  struct Impl;
  explicit Communicator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The rows [begin, end) of a batch of `count` samples that `rank` of `size` takes: contiguous,
/// in rank order, sizes differing by at most one (a rank may get none when count < size).
struct Shard {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};
Shard shard_of(int64_t count, int rank, int size);

}  // namespace distill::distributed
