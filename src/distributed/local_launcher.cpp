// Local worker processes: posix_spawn, torchrun's environment, fail-fast supervision.
#include "distill/distributed/local_launcher.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "distill/core/error.h"

extern char** environ;

namespace distill::distributed {
namespace {

/// This process's environment with torchrun's variables for `rank` set (replacing any).
std::vector<std::string> worker_environment(int rank, const LocalLaunch& launch, int threads) {
  const std::vector<std::string> ours = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR",
                                         "MASTER_PORT", kThreadsPerProcessVariable};
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& variable : ours) replaced = replaced || name == variable;
    if (!replaced) environment.push_back(entry);
  }
  environment.push_back("RANK=" + std::to_string(rank));
  environment.push_back("LOCAL_RANK=" + std::to_string(rank));
  environment.push_back("WORLD_SIZE=" + std::to_string(launch.processes));
  environment.push_back("MASTER_ADDR=127.0.0.1");
  environment.push_back("MASTER_PORT=" + std::to_string(launch.master_port));
  environment.push_back(std::string(kThreadsPerProcessVariable) + "=" + std::to_string(threads));
  return environment;
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
  std::vector<char*> args, env;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : environment) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, args.data(), env.data());
  DISTILL_CHECK(rc == 0, "could not start a worker process (", argv[0], "): ", std::strerror(rc));
  return pid;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

std::optional<int> threads_per_process_from_environment() {
  const char* text = std::getenv(kThreadsPerProcessVariable);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  DISTILL_CHECK_HINT(*end == '\0' && value >= 1 && value <= 4096,
                     "`--nproc` sets it for its workers; unset it, or use -j",
                     kThreadsPerProcessVariable, " = '", text, "': expected a whole number >= 1");
  return static_cast<int>(value);
}

int launch_local_workers(const std::vector<std::string>& argv, const LocalLaunch& launch) {
  DISTILL_CHECK(launch.processes >= 1, "--nproc = ", launch.processes, ": expected >= 1");
  DISTILL_CHECK(launch.master_port >= 1 && launch.master_port <= 65535, "--master-port = ",
                launch.master_port, ": expected a port in 1..65535");
  const int cores = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  const int threads = launch.threads_per_process > 0
                          ? launch.threads_per_process
                          : std::max(1, cores / launch.processes);
  std::vector<pid_t> workers;
  for (int rank = 0; rank < launch.processes; ++rank)
    workers.push_back(spawn(argv, worker_environment(rank, launch, threads)));

  int result = 0, running = launch.processes;
  std::chrono::steady_clock::time_point stop_deadline;
  bool stopping = false, killed = false;
  while (running > 0) {
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      for (int rank = 0; rank < launch.processes; ++rank) {
        if (workers[rank] != done) continue;
        workers[rank] = -1;
        --running;
        const int code = exit_code(status);
        if (code != 0 && result == 0) {
          result = code;
          std::fprintf(stderr, "distill: worker rank %d of %d failed (exit status %d); stopping "
                       "the others\n", rank, launch.processes, code);
          stopping = true;
          stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(launch.grace_seconds);
          for (pid_t pid : workers)
            if (pid > 0) ::kill(pid, SIGTERM);
        }
      }
      continue;
    }
    if (stopping && !killed && std::chrono::steady_clock::now() > stop_deadline) {
      for (pid_t pid : workers)
        if (pid > 0) ::kill(pid, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return result;
}

}  // namespace distill::distributed
