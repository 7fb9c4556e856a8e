// distill: knowledge distillation and model compression from the command line.
#include <c10/util/Exception.h>

#include <cstdio>
#include <exception>

#include "commands.h"
#include "distill/core/error.h"

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"distill: train a teacher, distill a small student, compress and report it"};
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "on errors, also print where in distill they were raised");
  distill::cli::register_run_command(app);
  distill::cli::register_train_command(app);
  distill::cli::register_distill_command(app);
  distill::cli::register_evaluate_command(app);
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
