// ProgressBar away from a terminal: periodic plain lines, then the summary; silent when disabled.
#include "distill/core/progress_bar.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace distill {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using TemporaryFile = std::unique_ptr<std::FILE, FileCloser>;

std::vector<std::string> lines_of(std::FILE* file) {
  std::rewind(file);
  std::vector<std::string> lines;
  std::string line;
  for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file)) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += static_cast<char>(c);
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

TEST(ProgressBar, OffATerminalWritesALinePerIntervalThenTheSummary) {
  TemporaryFile log(std::tmpfile());
  ASSERT_NE(log, nullptr);
  {
    ProgressBar bar("teacher soft labels", 8, true, log.get(), std::chrono::milliseconds(0));
    bar.update(2, "loss 0.50");
    bar.update(6);
    bar.update(8);  // the last step: finish() reports it
    bar.finish("teacher soft labels: 8 batches");
  }
  const std::vector<std::string> lines = lines_of(log.get());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("teacher soft labels:  25% (2/8) ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(", eta "), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].substr(lines[0].size() - 10), " loss 0.50") << lines[0];
  EXPECT_EQ(lines[1].rfind("teacher soft labels:  75% (6/8) ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2], "teacher soft labels: 8 batches");
  for (const std::string& line : lines) EXPECT_EQ(line.find('\r'), std::string::npos);
}

TEST(ProgressBar, OffATerminalStaysQuietWithinTheInterval) {
  TemporaryFile log(std::tmpfile());
  ASSERT_NE(log, nullptr);
  ProgressBar bar("epoch 1/3", 100, true, log.get(), std::chrono::hours(1));
  for (int64_t done = 1; done <= 100; ++done) bar.update(done);
  bar.finish("epoch 1/3 done");
  EXPECT_EQ(lines_of(log.get()), std::vector<std::string>{"epoch 1/3 done"});
}

TEST(ProgressBar, DisabledWritesNothing) {
  TemporaryFile log(std::tmpfile());
  ASSERT_NE(log, nullptr);
  {
    ProgressBar bar("epoch 1/3", 4, false, log.get(), std::chrono::milliseconds(0));
    bar.update(1);
    bar.finish("summary");
  }
  EXPECT_TRUE(lines_of(log.get()).empty());
}

}  // namespace
}  // namespace distill
