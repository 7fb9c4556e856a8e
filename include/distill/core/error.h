// The project's error type and the check macro every module uses to raise it.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace distill {

/// Every failure distill reports to its user. The message says what failed, with the values
/// involved; the hint, when non-empty, says how to fix it; `where` is the source location that
/// raised it (shown by the CLI with --verbose).
class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, std::string hint = {}, std::string where = {})
      : std::runtime_error(std::move(message)), hint_(std::move(hint)), where_(std::move(where)) {}

  const std::string& hint() const noexcept { return hint_; }
  const std::string& where() const noexcept { return where_; }

 private:
  std::string hint_;
  std::string where_;
};

namespace detail {
/// Streams all arguments into one string: concat("expected ", 3, " got ", 4).
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

inline std::string source_location(const char* file, int line) {
  return concat(file, ":", line);
}
}  // namespace detail


}  // namespace distill

/// Throws distill::Error with the streamed message when `cond` is false:
///   DISTILL_CHECK(n > 0, "batch_size must be > 0, got ", n);
#define DISTILL_CHECK(cond, ...)                                                          \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      throw ::distill::Error(::distill::detail::concat(__VA_ARGS__), std::string(),       \
                             ::distill::detail::source_location(__FILE__, __LINE__));     \
    }                                                                                     \
  } while (false)

/// As DISTILL_CHECK, with a hint for the user:
///   DISTILL_CHECK_HINT(exists, "apt-get install dataset-fashion-mnist", "no file '", p, "'");
#define DISTILL_CHECK_HINT(cond, hint, ...)                                               \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      throw ::distill::Error(::distill::detail::concat(__VA_ARGS__), (hint),              \
                             ::distill::detail::source_location(__FILE__, __LINE__));     \
    }                                                                                     \
  } while (false)

/// Throws distill::Error unconditionally.
#define DISTILL_FAIL(...)                                                                 \
  throw ::distill::Error(::distill::detail::concat(__VA_ARGS__), std::string(),           \
                         ::distill::detail::source_location(__FILE__, __LINE__))

/// Throws distill::Error with a hint unconditionally.
#define DISTILL_FAIL_HINT(hint, ...)                                                      \
  throw ::distill::Error(::distill::detail::concat(__VA_ARGS__), (hint),                  \
                         ::distill::detail::source_location(__FILE__, __LINE__))
