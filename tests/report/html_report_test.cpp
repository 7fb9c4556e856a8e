// The HTML report's making (the page itself is checked in a browser: report_in_browser.py):
// self-contained, the runs' data embedded so that no text can end its <script> element, and
// clear errors for folders that are not runs.
#include "distill/report/html_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "distill/core/atomic_file.h"
#include "error_assertions.h"
#include "test_support.h"

namespace distill::report {
namespace {

const char* kResults = R"({"config_source": "x.yaml", "models": {"teacher": {"title": "teacher"}}})";

/// The JSON the page embeds in <script id="distill-runs">, parsed back.
nlohmann::json embedded_runs(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"distill-runs\">";
  const size_t start = page.find(open);
  EXPECT_NE(start, std::string::npos);
  const size_t end = page.find("</script>", start);
  return nlohmann::json::parse(page.substr(start + open.size(), end - start - open.size()));
}

TEST(HtmlReport, EmbedsEveryRunAndChartJsAndFetchesNothing) {
  const std::string page = render_html_report(
      {{"first", kResults, "seed: 0\n"}, {"second", kResults, ""}});
  const nlohmann::json runs = embedded_runs(page);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["name"], "first");
  EXPECT_EQ(runs[0]["config_yaml"], "seed: 0\n");
  EXPECT_EQ(runs[1]["results"]["models"]["teacher"]["title"], "teacher");
  EXPECT_NE(page.find("Chart.js v3"), std::string::npos) << "Chart.js is inlined";
  EXPECT_EQ(page.find(" src="), std::string::npos) << "no script or image is loaded";
  EXPECT_EQ(page.find("@DISTILL_"), std::string::npos) << "every placeholder is filled";
  EXPECT_EQ(page.find("@CHART_JS@"), std::string::npos);
  EXPECT_NE(page.find("<title>distill report — first, second</title>"), std::string::npos);
}

TEST(HtmlReport, TextThatLooksLikeHtmlCannotEndTheDataScript) {
  const std::string hostile =
      R"({"models": {}, "data": {"class_names": ["</script><script>alert(1)</script>", "<!--"]}})";
  const std::string page = render_html_report({{"<b>run</b>", hostile, "a: '</script>'\n"}});
  const nlohmann::json runs = embedded_runs(page);  // parses: the element was not cut short
  EXPECT_EQ(runs[0]["results"]["data"]["class_names"][0], "</script><script>alert(1)</script>");
  EXPECT_EQ(runs[0]["config_yaml"], "a: '</script>'\n");
  EXPECT_NE(page.find("<title>distill report — &lt;b&gt;run&lt;/b&gt;</title>"), std::string::npos);
}

TEST(HtmlReport, ReadsARunDirectoryAndWritesThePage) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "my-run");
  testing::write_bytes(dir / "my-run" / "results.json", kResults);
  testing::write_bytes(dir / "my-run" / "config.yaml", "seed: 4\n");
  const ReportedRun run = read_run_directory(dir / "my-run");
  EXPECT_EQ(run.name, "my-run");
  EXPECT_EQ(run.config_yaml, "seed: 4\n");
  EXPECT_EQ(read_run_directory(dir.path() / "my-run" / ".").name, "my-run");
  write_html_report(dir / "out.html", {run});
  EXPECT_EQ(embedded_runs(read_file_bytes(dir / "out.html"))[0]["config_yaml"], "seed: 4\n");
}

TEST(HtmlReport, FoldersThatAreNotRunsGetClearErrors) {
  testing::TempDir dir;
  const Error missing = testing::thrown_error([&] { read_run_directory(dir.path()); });
  EXPECT_NE(std::string(missing.what()).find("results.json' does not exist"), std::string::npos)
      << missing.what();
  EXPECT_NE(missing.hint().find("distill run"), std::string::npos);

  testing::write_bytes(dir / "seeds.json", "{}");
  const Error seeds = testing::thrown_error([&] { read_run_directory(dir.path()); });
  EXPECT_NE(std::string(seeds.what()).find("holds seeds.json but no results.json"), std::string::npos);
  EXPECT_NE(seeds.hint().find("seed-*"), std::string::npos);

  const Error invalid = testing::thrown_error([&] { render_html_report({{"r", "{\"models\": [", ""}}); });
  EXPECT_NE(std::string(invalid.what()).find("run 'r': results.json is not valid JSON"),
            std::string::npos) << invalid.what();
  const Error other = testing::thrown_error([&] { render_html_report({{"r", "{\"a\": 1}", ""}}); });
  EXPECT_NE(std::string(other.what()).find("has no \"models\" object"), std::string::npos);
}

}  // namespace
}  // namespace distill::report
