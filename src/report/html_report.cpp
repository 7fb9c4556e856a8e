// The HTML report: the template, script and Chart.js embedded at build time
// (src/report/html/, cmake/embed_text.cmake), filled with the runs' results.
#include "distill/report/html_report.h"

#include <nlohmann/json.hpp>

#include <map>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"

namespace distill::report {

// Generated from src/report/html/report.html, report.js and Debian's libjs-chart.js.
const std::string& report_template_html();
const std::string& report_script_js();
const std::string& chart_js();

namespace {

/// The template with each `@NAME@` of `values` replaced, in one pass (a value is never rescanned,
/// so a value holding `@...@` text stays as it is).
std::string fill_template(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('@', at);
    if (open == std::string::npos) break;
    const size_t close = text.find('@', open + 1);
    if (close == std::string::npos) break;
    const auto value = values.find(text.substr(open + 1, close - open - 1));
    if (value == values.end()) {  // a lone '@': keep it and look on from the next character
      out.append(text, at, open + 1 - at);
      at = open + 1;
      continue;
    }
    out.append(text, at, open - at);
    out += value->second;
    at = close + 1;
  }
  out.append(text, at, std::string::npos);
  return out;
}

/// JSON safe inside a <script> element: '<' (only ever inside strings) becomes \u003c, so no
/// "</script>" or "<!--" in a class name or config can end the element.
std::string json_for_script(const nlohmann::json& value) {
  const std::string text = value.dump();
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

std::string escape_html(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

nlohmann::json parse_results(const ReportedRun& run) {
  nlohmann::json results;
  try {
    results = nlohmann::json::parse(run.results_json);
  } catch (const nlohmann::json::parse_error& e) {
    DISTILL_FAIL_HINT("results.json is written by `distill run`; run it again to remake the file",
                      "run '", run.name, "': results.json is not valid JSON: ", e.what());
  }
  DISTILL_CHECK_HINT(results.is_object() && results.contains("models") &&
                         results["models"].is_object(),
                     "pass a folder written by `distill run` (it holds results.json)", "run '",
                     run.name, "': results.json has no \"models\" object; it is not the results "
                     "of a distill run");
  return results;
}

}  // namespace

ReportedRun read_run_directory(const std::filesystem::path& run_directory) {
  ReportedRun run;
  // "runs/a", "runs/a/" and "runs/a/." all name the run "a".
  const std::filesystem::path normal = std::filesystem::absolute(run_directory).lexically_normal();
  run.name = (normal.has_filename() ? normal : normal.parent_path()).filename().string();
  const std::filesystem::path results = run_directory / "results.json";
  if (!std::filesystem::is_regular_file(results)) {
    DISTILL_CHECK_HINT(!std::filesystem::is_regular_file(run_directory / "seeds.json"),
                       "a `--seeds` run keeps one run per seed: pass its seed-* folders, e.g. `distill report " +
                           (run_directory / "seed-*").string() + "`",
                       "'", run_directory.string(), "' holds seeds.json but no results.json");
    DISTILL_FAIL_HINT("pass the output folder of `distill run` (its output_dir)", "'",
                      results.string(), "' does not exist: '", run_directory.string(),
                      "' is not a run directory");
  }
  run.results_json = read_file_bytes(results);
  if (std::filesystem::is_regular_file(run_directory / "config.yaml"))
    run.config_yaml = read_file_bytes(run_directory / "config.yaml");
  return run;
}

std::string render_html_report(const std::vector<ReportedRun>& runs) {
  DISTILL_CHECK(!runs.empty(), "a report needs at least one run");
  nlohmann::json embedded = nlohmann::json::array();
  std::string names;
  for (const ReportedRun& run : runs) {
    embedded.push_back({{"name", run.name},
                        {"results", parse_results(run)},
                        {"config_yaml", run.config_yaml}});
    names += (names.empty() ? "" : ", ") + run.name;
  }
  return fill_template(report_template_html(),
                       {{"DISTILL_TITLE", escape_html("distill report — " + names)},
                        {"DISTILL_VERSION", DISTILL_VERSION},
                        {"DISTILL_RUNS", json_for_script(embedded)},
                        {"CHART_JS", chart_js()},
                        {"REPORT_JS", report_script_js()}});
}

void write_html_report(const std::filesystem::path& path, const std::vector<ReportedRun>& runs) {
  write_file_atomically(path, render_html_report(runs));
}

}  // namespace distill::report
