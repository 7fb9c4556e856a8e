// `distill report`: the HTML report of one run, or of several side by side.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "distill/report/html_report.h"

namespace distill::cli {

void register_report_command(CLI::App& app) {
  struct Arguments {
    std::vector<std::string> run_directories;
    std::string output;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "report", "Write the HTML report of one run, or of several compared side by side "
                "(`distill run` writes its own report.html)");
  command->add_option("runs", args->run_directories, "run directories (each holds results.json)")
      ->required();
  command->add_option("-o,--out", args->output,
                      "HTML file to write (default: report.html in the run directory, or "
                      "report.html here for several runs)");
  command->callback([args] {
    std::vector<report::ReportedRun> runs;
    for (const std::string& directory : args->run_directories)
      runs.push_back(report::read_run_directory(directory));
    std::filesystem::path output = args->output;
    if (output.empty())
      output = runs.size() == 1 ? std::filesystem::path(args->run_directories.front()) / "report.html"
                                : std::filesystem::path("report.html");
    report::write_html_report(output, runs);
    std::printf("report: %s (%zu run%s)\n", output.c_str(), runs.size(), runs.size() == 1 ? "" : "s");
  });
}

}  // namespace distill::cli
