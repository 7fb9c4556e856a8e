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

/// How long libgomp's idle threads spin before they sleep. Its default (300,000 spins, ~ms)
/// lets them spin on the cores OpenBLAS's own threads need for libtorch's GEMMs (a reference-path
/// teacher epoch: 6.7 s instead of 2.3 s on 20,000 images); not spinning at all
/// (OMP_WAIT_POLICY=PASSIVE) costs a thread wake-up of 50-100 us at every parallel region, which
/// a small student's step has several of (epoch 0.33 s instead of 0.12 s, a CNN's 5.6 s instead
/// of 3.5 s). 10,000 spins keeps both: the next region of the same step finds the threads awake,
/// OpenBLAS finds the cores free (docs/benchmarks.md). libgomp reads the variable when it loads,
/// before main, so it is set here and the program re-executes itself once (exec, not fork:
/// nothing has run yet). A user's own GOMP_SPINCOUNT or OMP_WAIT_POLICY is kept.
constexpr const char* kOpenMpSpinCount = "10000";

void ensure_short_openmp_spin(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr)
    return;
  ::setenv("GOMP_SPINCOUNT", kOpenMpSpinCount, 1);
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc): carry on, only slower.
}

}  // namespace

int main(int argc, char** argv) {
  ensure_short_openmp_spin(argv);
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
  distill::cli::register_sweep_command(app);
  distill::cli::register_report_command(app);

  distill::cli::set_program_arguments(argc, argv);
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {  // --nproc: the workers' exit status
    return e.get_exit_code();
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
