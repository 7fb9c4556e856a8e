// The group on c10d: a TCPStore rendezvous, ProcessGroupGloo collectives.
#include "distill/distributed/communicator.h"

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <map>

#include "distill/core/error.h"

namespace distill::distributed {
namespace {

/// An environment variable as an integer in [low, high]; nullopt when unset.
std::optional<int64_t> integer_variable(const char* name, int64_t low, int64_t high) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  DISTILL_CHECK_HINT(*end == '\0' && value >= low && value <= high,
                     "torchrun-style launchers set RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and "
                     "MASTER_PORT; `distill ... --nproc N` sets them itself",
                     name, " = '", text, "': expected an integer in [", low, ", ", high, "]");
  return value;
}

std::string describe(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) return c10->what_without_backtrace();
  return e.what();
}

/// Every rank publishes its WORLD_SIZE; rank 0 waits for each rank it expects and compares, the
/// others compare with rank 0's. A rank started with another WORLD_SIZE, or one that never comes,
/// is an error naming both values (or the missing rank) on the ranks that can see it.
void check_world_sizes(c10d::Store& store, const WorldOptions& world, const std::string& where) {
  const auto key = [](int rank) { return "distill/world_size/" + std::to_string(rank); };
  const auto seen_key = [](int rank) { return "distill/world_size_seen/" + std::to_string(rank); };
  const std::string mine = std::to_string(world.size);
  store.set(key(world.rank), std::vector<uint8_t>(mine.begin(), mine.end()));
  const auto compare = [&](int other) {
    std::vector<uint8_t> value;
    try {
      value = store.get(key(other));
    } catch (const std::exception& e) {
      DISTILL_FAIL_HINT("start every rank (RANK = 0 .. WORLD_SIZE - 1) with the same WORLD_SIZE, "
                        "MASTER_ADDR and MASTER_PORT; DISTILL_DISTRIBUTED_TIMEOUT sets the wait",
                        "rank ", world.rank, " of ", world.size, ": rank ", other,
                        " did not join the rendezvous at ", where, " within ",
                        world.timeout.count() / 1000, " s: ", describe(e));
    }
    const std::string theirs(value.begin(), value.end());
    if (world.rank != 0) {
      // Tell rank 0 its value was read: it waits for that before stopping on a mismatch, so
      // that this rank can name the mismatch too rather than a closed rendezvous.
      store.set(seen_key(world.rank), std::vector<uint8_t>{1});
    } else if (theirs != mine) {
      try {
        store.wait({seen_key(other)}, std::chrono::seconds(5));
      } catch (const std::exception&) {
        // It may have stopped already; rank 0's error below stands on its own.
      }
    }
    DISTILL_CHECK_HINT(theirs == mine, "start every rank with the same WORLD_SIZE",
                       "rank ", world.rank, " was started with WORLD_SIZE = ", world.size,
                       " but rank ", other, " with WORLD_SIZE = ", theirs, " (rendezvous at ",
                       where, ")");
  };
  if (world.rank == 0) {
    for (int other = 1; other < world.size; ++other) compare(other);
  } else {
    compare(0);
  }
}

}  // namespace

std::optional<WorldOptions> world_from_environment() {
  const std::optional<int64_t> size = integer_variable("WORLD_SIZE", 1, 1 << 16);
  if (!size) return std::nullopt;
  WorldOptions world;
  world.size = static_cast<int>(*size);
  const std::optional<int64_t> rank = integer_variable("RANK", 0, *size - 1);
  DISTILL_CHECK_HINT(rank.has_value() || *size == 1, "set RANK to this process's rank, 0 .. WORLD_SIZE - 1",
                     "WORLD_SIZE = ", *size, " but RANK is not set");
  world.rank = static_cast<int>(rank.value_or(0));
  world.local_rank = static_cast<int>(integer_variable("LOCAL_RANK", 0, *size - 1).value_or(0));
  if (const char* address = std::getenv("MASTER_ADDR"); address != nullptr && *address != '\0')
    world.master_address = address;
  world.master_port = static_cast<int>(integer_variable("MASTER_PORT", 1, 65535).value_or(29500));
  if (const auto seconds = integer_variable("DISTILL_DISTRIBUTED_TIMEOUT", 1, 86400))
    world.timeout = std::chrono::seconds(*seconds);
  if (const char* text = std::getenv("DISTILL_BUCKET_MB"); text != nullptr && *text != '\0') {
    char* end = nullptr;
    const double mebibytes = std::strtod(text, &end);
    DISTILL_CHECK_HINT(*end == '\0' && std::isfinite(mebibytes) && mebibytes > 0 && mebibytes <= 4096,
                       "the gradient bucket size in MiB, e.g. DISTILL_BUCKET_MB=1 (the default) or "
                       "0.25; a bucket at least the model's size sends one all-reduce per step",
                       "DISTILL_BUCKET_MB = '", text, "': expected a number in (0, 4096]");
    world.bucket_bytes = std::max<int64_t>(4, static_cast<int64_t>(mebibytes * (1 << 20)));
  }
  return world;
}

Shard shard_of(int64_t count, int rank, int size) {
  return {count * rank / size, count * (rank + 1) / size};
}

struct Communicator::Impl {
  WorldOptions world;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  double collective_seconds = 0;
  std::map<int64_t, c10::intrusive_ptr<c10d::Work>> pending_sums;
  int64_t next_ticket = 0;

  /// Waits for `work`; a failure names the rank and the operation.
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* operation) {
    const auto start = std::chrono::steady_clock::now();
    try {
      work->wait();
      collective_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } catch (const std::exception& e) {
      DISTILL_FAIL_HINT("another rank has stopped (its own error says why) or stalled longer than "
                        "the timeout; `--resume` continues from the last checkpoint",
                        "rank ", world.rank, " of ", world.size, ": ", operation,
                        " failed: ", describe(e));
    }
  }
};

Communicator::Communicator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Communicator::~Communicator() = default;

std::shared_ptr<Communicator> Communicator::connect(const WorldOptions& options) {
  DISTILL_CHECK(options.size >= 1 && options.rank >= 0 && options.rank < options.size,
                "rank ", options.rank, " is not in a world of ", options.size);
  auto impl = std::make_unique<Impl>();
  impl->world = options;
  const std::string where = options.master_address + ":" + std::to_string(options.master_port);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(options.master_port);
    store_options.isServer = options.rank == 0;
    store_options.numWorkers = options.size;
    // Every rank's arrival is awaited below, where a missing rank or another WORLD_SIZE can be
    // named, rather than inside the store.
    store_options.waitWorkers = false;
    store_options.timeout = options.timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(options.master_address, store_options);
  } catch (const std::exception& e) {
    if (options.rank == 0)
      DISTILL_FAIL_HINT("choose a free port with MASTER_PORT (or --master-port), or stop the process "
                        "that holds it",
                        "rank 0 could not serve the rendezvous at ", where, ": ", describe(e));
    DISTILL_FAIL_HINT("check that rank 0 runs and that MASTER_ADDR and MASTER_PORT name it",
                      "rank ", options.rank, " could not reach the rendezvous at ", where,
                      " within ", options.timeout.count() / 1000, " s: ", describe(e));
  }
  check_world_sizes(*impl->store, options, where);
  try {
    auto group_options = c10d::ProcessGroupGloo::Options::create(options.timeout);
    group_options->devices.push_back(
        c10d::ProcessGroupGloo::createDeviceForHostname(options.master_address == "localhost"
                                                            ? "127.0.0.1"
                                                            : options.master_address));
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, options.rank,
                                                              options.size, group_options);
  } catch (const std::exception& e) {
    DISTILL_FAIL_HINT("every rank must start with the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT",
                      "rank ", options.rank, " of ", options.size, " could not join the group at ",
                      where, ": ", describe(e));
  }
  return std::shared_ptr<Communicator>(new Communicator(std::move(impl)));
}

int Communicator::rank() const { return impl_->world.rank; }
const WorldOptions& Communicator::world() const { return impl_->world; }
double Communicator::collective_seconds() const { return impl_->collective_seconds; }
int Communicator::size() const { return impl_->world.size; }

std::vector<double> Communicator::all_reduce_sum(const std::vector<double>& values) {
  if (values.empty() || size() == 1) return values;
  std::vector<at::Tensor> buffer = {
      at::tensor(at::ArrayRef<double>(values), at::TensorOptions().dtype(at::kDouble))};
  impl_->wait(impl_->group->allreduce(buffer), "an all-reduce of counters");
  const double* summed = buffer[0].data_ptr<double>();
  return std::vector<double>(summed, summed + values.size());
}

int64_t Communicator::start_sum(const at::Tensor& buffer) {
  DISTILL_CHECK(buffer.scalar_type() == at::kFloat && buffer.is_contiguous(),
                "start_sum takes a contiguous float32 buffer");
  const int64_t ticket = impl_->next_ticket++;
  if (size() > 1) {
    std::vector<at::Tensor> tensors = {buffer};
    impl_->pending_sums.emplace(ticket, impl_->group->allreduce(tensors));
  }
  return ticket;
}

void Communicator::finish_sum(int64_t ticket) {
  const auto found = impl_->pending_sums.find(ticket);
  if (found == impl_->pending_sums.end()) return;  // a world of one: nothing was sent
  const c10::intrusive_ptr<c10d::Work> work = found->second;
  impl_->pending_sums.erase(found);
  impl_->wait(work, "the gradient all-reduce");
}

at::Tensor Communicator::all_gather_rows(const at::Tensor& rows, const std::vector<int64_t>& counts) {
  DISTILL_CHECK(static_cast<int>(counts.size()) == size() && rows.dim() >= 1 &&
                    rows.size(0) == counts[static_cast<size_t>(rank())],
                "all_gather_rows: rank ", rank(), " passes ", rows.dim() >= 1 ? rows.size(0) : -1,
                " rows and ", counts.size(), " counts for a world of ", size());
  if (size() == 1) return rows;
  const int64_t widest = *std::max_element(counts.begin(), counts.end());
  int64_t width = 1;  // elements per row
  for (int64_t d = 1; d < rows.dim(); ++d) width *= rows.size(d);
  // Gloo gathers equal sizes: every rank sends `widest` rows, the padding is dropped after.
  at::Tensor padded = at::zeros({widest * width}, rows.options());
  padded.narrow(0, 0, rows.numel()).copy_(rows.contiguous().view({-1}));
  std::vector<at::Tensor> inputs = {padded};
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < size(); ++r) outputs[0].push_back(at::empty_like(padded));
  impl_->wait(impl_->group->allgather(outputs, inputs), "gathering the ranks' rows");
  std::vector<at::Tensor> pieces;
  for (int r = 0; r < size(); ++r)
    pieces.push_back(outputs[0][static_cast<size_t>(r)].narrow(0, 0, counts[static_cast<size_t>(r)] * width));
  std::vector<int64_t> shape = rows.sizes().vec();
  shape[0] = 0;
  for (const int64_t count : counts) shape[0] += count;
  return at::cat(pieces).view(shape);
}

void Communicator::barrier() {
  if (size() == 1) return;
  impl_->wait(impl_->group->barrier(), "a barrier");
}

}  // namespace distill::distributed
