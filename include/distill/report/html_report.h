// The HTML report: one self-contained page (styles, data, script and Chart.js inlined; it opens
// offline and fetches nothing) that shows one run, or several side by side — the models' table,
// the compression frontier, training curves, per-class accuracy, agreement with the teacher,
// confusion matrices, the notes and the effective config. Drawn in the browser from the runs'
// results.json, so every figure on the page is one of that file's.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace distill::report {

/// One run as the report shows it.
struct ReportedRun {
  std::string name;          // shown for the run (its directory's name)
  std::string results_json;  // the run's results.json
  std::string config_yaml;   // its effective config.yaml; empty when the run has none
};

/// Reads `<run_directory>/results.json` (required: an error names the file and, for a
/// `--seeds` run, the seed-* folders to pass instead) and `config.yaml` (optional).
ReportedRun read_run_directory(const std::filesystem::path& run_directory);

/// The report's HTML. Throws naming the run when its results are not a distill results.json.
std::string render_html_report(const std::vector<ReportedRun>& runs);

/// Writes render_html_report(runs) to `path` atomically.
void write_html_report(const std::filesystem::path& path, const std::vector<ReportedRun>& runs);

}  // namespace distill::report
