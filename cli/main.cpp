// distill: knowledge distillation and model compression from the command line.
#include <c10/util/Exception.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "commands.h"
#include "distill/core/error.h"

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

/// libtorch's OpenMP workers spin after each parallel region while OpenBLAS's own threads run
/// the next GEMM, so the two fight for the cores: one SGD step of the 784-1200-1200-10 teacher
/// takes 50 ms with 2 threads, 18 ms with OMP_WAIT_POLICY=PASSIVE (bench/training_step_bench,
/// docs/benchmarks.md). libgomp reads the variable when it loads, before main, so it is set here
/// and the program re-executes itself once (exec, not fork: nothing has run yet). A user's own
/// setting is kept.
void ensure_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc): carry on, only slower.
}

}  // namespace

int main(int argc, char** argv) {
  ensure_passive_openmp_wait(argv);
  CLI::App app{"distill: train a teacher, distill a small student, compress and report it"};
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "on errors, also print where in distill they were raised");
  distill::cli::register_run_command(app);
  distill::cli::register_train_command(app);
  distill::cli::register_distill_command(app);
  distill::cli::register_evaluate_command(app);
  distill::cli::register_quantize_command(app);
  distill::cli::register_export_command(app);
  distill::cli::register_bench_command(app);
  distill::cli::register_describe_command(app);
  distill::cli::register_config_command(app);

  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const distill::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
    if (verbose && !e.where().empty()) std::fprintf(stderr, "raised at: %s\n", e.where().c_str());
    return kExitError;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "error: libtorch: %s\n", e.what_without_backtrace());
    return kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitError;
  }
}
