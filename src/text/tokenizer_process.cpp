// Spawning `distill-tokenizer` and the file formats it reads and writes.
#include "distill/text/tokenizer_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"

extern char** environ;

namespace distill::text {
namespace fs = std::filesystem;
namespace {

constexpr const char* kHelperName = "distill-tokenizer";
constexpr uint32_t kMaxListEntries = 1u << 30;

void put_u32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

/// Reads the formats above with bounds checks: a truncated or foreign file is an error naming it.
class ListReader {
 public:
  ListReader(const fs::path& path, const char* magic) : path_(path), bytes_(read_file_bytes(path)) {
    DISTILL_CHECK(bytes_.size() >= 8 && bytes_.compare(0, 4, magic) == 0, "'", path.string(),
                  "' is not a ", magic, " list written by distill-tokenizer");
    offset_ = 4;
  }
  uint32_t u32() {
    need(4);
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i)
      value |= static_cast<uint32_t>(static_cast<unsigned char>(bytes_[offset_ + i])) << (8 * i);
    offset_ += 4;
    return value;
  }
  std::string take(size_t count) {
    need(count);
    std::string out = bytes_.substr(offset_, count);
    offset_ += count;
    return out;
  }
  void need(size_t count) const {
    DISTILL_CHECK(count <= bytes_.size() - offset_, "'", path_.string(), "' is truncated at byte ",
                  offset_, " (", count, " more bytes expected)");
  }
  void expect_end() const {
    DISTILL_CHECK(offset_ == bytes_.size(), "'", path_.string(), "' has ",
                  bytes_.size() - offset_, " bytes after its last entry");
  }

 private:
  fs::path path_;
  std::string bytes_;
  size_t offset_ = 0;
};

/// A private scratch directory for one helper call, removed with this object.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::random_device device;
    const fs::path base = fs::temp_directory_path();
    for (int attempt = 0; attempt < 16; ++attempt) {
      path_ = base / ("distill-tokenizer-" + std::to_string(::getpid()) + "-" +
                      std::to_string(device()));
      std::error_code error;
      if (fs::create_directory(path_, error)) return;
    }
    DISTILL_FAIL("cannot create a scratch directory under '", base.string(), "'");
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// Runs the helper with `arguments` (posix_spawn: no fork of this possibly multi-threaded
/// process); its standard error goes to a file that the error message quotes when it fails.
void run_helper(const std::vector<std::string>& arguments, const fs::path& scratch) {
  const fs::path helper = tokenizer_helper_path();
  std::vector<std::string> all = {helper.string()};
  all.insert(all.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : all) argv.push_back(argument.data());
  argv.push_back(nullptr);

  const fs::path errors = scratch / "stderr.txt";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errors.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, helper.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  DISTILL_CHECK(spawned == 0, "cannot start the tokenizer helper '", helper.string(),
                "': ", std::strerror(spawned));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    DISTILL_CHECK(errno == EINTR, "waiting for the tokenizer helper failed: ", std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string message;
  if (fs::exists(errors)) message = read_file_bytes(errors);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const std::string how = WIFEXITED(status)
                              ? "exited with status " + std::to_string(WEXITSTATUS(status))
                              : "was killed by signal " + std::to_string(WTERMSIG(status));
  DISTILL_FAIL("the tokenizer helper '", helper.string(), " ", arguments.at(0), "' ", how,
               message.empty() ? "" : ": ", message);
}

bool is_executable(const fs::path& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0 && fs::is_regular_file(path);
}

}  // namespace

fs::path tokenizer_helper_path() {
  std::vector<fs::path> candidates;
  if (const char* configured = std::getenv("DISTILL_TOKENIZER"); configured && *configured) {
    DISTILL_CHECK_HINT(is_executable(configured), "unset DISTILL_TOKENIZER or point it at the "
                       "distill-tokenizer program", "DISTILL_TOKENIZER = '", configured,
                       "' is not an executable file");
    return configured;
  }
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back(self.parent_path() / kHelperName);
#ifdef DISTILL_TOKENIZER_BUILD_PATH
  candidates.emplace_back(DISTILL_TOKENIZER_BUILD_PATH);
#endif
#ifdef DISTILL_TOKENIZER_INSTALL_PATH
  candidates.emplace_back(DISTILL_TOKENIZER_INSTALL_PATH);
#endif
#ifdef DISTILL_TOKENIZER_PACKAGE_PATH
  candidates.emplace_back(DISTILL_TOKENIZER_PACKAGE_PATH);
#endif
  std::string tried;
  for (const fs::path& candidate : candidates) {
    if (is_executable(candidate)) return candidate;
    tried += (tried.empty() ? "" : ", ") + candidate.string();
  }
  DISTILL_FAIL_HINT("build the distill-tokenizer target, or set DISTILL_TOKENIZER to its path",
                    "text data needs the tokenizer helper 'distill-tokenizer'; not found at: ",
                    tried);
}

std::string train_tokenizer_model(const std::vector<std::string>& texts,
                                  const TokenizerOptions& options) {
  validate_tokenizer_options(options, "data.text.tokenizer");
  DISTILL_CHECK(!texts.empty(), "a tokenizer needs training texts");
  ScratchDirectory scratch;
  write_text_list(scratch.path() / "texts.bin", texts);
  std::ostringstream coverage;
  coverage.precision(17);
  coverage << options.character_coverage;
  run_helper({"train", "--texts", (scratch.path() / "texts.bin").string(), "--vocab-size",
              std::to_string(options.vocab_size), "--model-type", to_string(options.model),
              "--character-coverage", coverage.str(), "--out",
              (scratch.path() / "tokenizer.model").string()},
             scratch.path());
  return read_file_bytes(scratch.path() / "tokenizer.model");
}

std::vector<std::vector<int32_t>> encode_with_tokenizer_model(const std::string& model_bytes,
                                                              const std::vector<std::string>& texts) {
  ScratchDirectory scratch;
  write_file_atomically(scratch.path() / "tokenizer.model", model_bytes);
  write_text_list(scratch.path() / "texts.bin", texts);
  run_helper({"encode", "--model", (scratch.path() / "tokenizer.model").string(), "--texts",
              (scratch.path() / "texts.bin").string(), "--out",
              (scratch.path() / "ids.bin").string()},
             scratch.path());
  auto ids = read_token_lists(scratch.path() / "ids.bin");
  DISTILL_CHECK(ids.size() == texts.size(), "the tokenizer helper returned ", ids.size(),
                " token lists for ", texts.size(), " texts");
  return ids;
}

int64_t tokenizer_model_vocab_size(const std::string& model_bytes) {
  ScratchDirectory scratch;
  write_file_atomically(scratch.path() / "tokenizer.model", model_bytes);
  run_helper({"describe", "--model", (scratch.path() / "tokenizer.model").string(), "--out",
              (scratch.path() / "size.txt").string()},
             scratch.path());
  const std::string text = read_file_bytes(scratch.path() / "size.txt");
  return std::stoll(text);
}

void write_text_list(const fs::path& path, const std::vector<std::string>& texts) {
  DISTILL_CHECK(texts.size() < kMaxListEntries, "too many texts for one list: ", texts.size());
  std::string out = "DTXT";
  put_u32(out, static_cast<uint32_t>(texts.size()));
  for (const std::string& text : texts) {
    DISTILL_CHECK(text.size() < kMaxListEntries, "a text of ", text.size(), " bytes is too long");
    put_u32(out, static_cast<uint32_t>(text.size()));
    out += text;
  }
  write_file_atomically(path, out);
}

std::vector<std::string> read_text_list(const fs::path& path) {
  ListReader in(path, "DTXT");
  const uint32_t count = in.u32();
  in.need(static_cast<size_t>(count) * 4);
  std::vector<std::string> texts(count);
  for (std::string& text : texts) text = in.take(in.u32());
  in.expect_end();
  return texts;
}

void write_token_lists(const fs::path& path, const std::vector<std::vector<int32_t>>& ids) {
  DISTILL_CHECK(ids.size() < kMaxListEntries, "too many token lists: ", ids.size());
  std::string out = "DIDS";
  put_u32(out, static_cast<uint32_t>(ids.size()));
  for (const auto& list : ids) {
    put_u32(out, static_cast<uint32_t>(list.size()));
    for (int32_t id : list) put_u32(out, static_cast<uint32_t>(id));
  }
  write_file_atomically(path, out);
}

std::vector<std::vector<int32_t>> read_token_lists(const fs::path& path) {
  ListReader in(path, "DIDS");
  const uint32_t count = in.u32();
  in.need(static_cast<size_t>(count) * 4);
  std::vector<std::vector<int32_t>> ids(count);
  for (auto& list : ids) {
    const uint32_t length = in.u32();
    in.need(static_cast<size_t>(length) * 4);
    list.resize(length);
    for (int32_t& id : list) id = static_cast<int32_t>(in.u32());
  }
  in.expect_end();
  return ids;
}

}  // namespace distill::text
