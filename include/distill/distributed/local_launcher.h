// `distill ... --nproc N`: N worker processes of this program on this machine, started the way
// torchrun starts them (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT in their
// environment), with posix_spawn — never fork — so it is safe in a process that has run libtorch.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace distill::distributed {

struct LocalLaunch {
  int processes = 2;
  /// Compute threads per worker (0: the machine's cores divided among the workers).
  int threads_per_process = 0;
  int master_port = 29500;
  /// How long the others may take to stop once one worker failed, before they are killed.
  int grace_seconds = 10;
};

/// Runs `argv` (argv[0]: the program) as `launch.processes` workers and waits for them. When one
/// fails, the others are stopped (SIGTERM, then SIGKILL after the grace period) and the failure
/// is reported naming its rank. Returns 0 when every worker succeeded, else the first failed
/// worker's exit status (128 + signal when it was killed by one).
int launch_local_workers(const std::vector<std::string>& argv, const LocalLaunch& launch);

/// The environment variable that carries threads_per_process to the workers.
constexpr const char* kThreadsPerProcessVariable = "DISTILL_THREADS_PER_PROCESS";

/// A worker's share of the cores from its environment; nullopt when unset. A value that is not
/// a whole number >= 1 is an error naming the variable and value.
std::optional<int> threads_per_process_from_environment();

}  // namespace distill::distributed
