// What produced a result — settings and content hashes by name — so that a resumed run can
// prove it continues the same work, and say which settings differ when it does not.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace distill {

/// Named settings ("student.train.lr" -> "0.05") and identities ("data.content" -> a hash).
/// Two results may be combined only when their recipes are equal.
class RunRecipe {
 public:
  /// Sets `key` (one line: no newline in key or value; " = " may not appear in the key).
  RunRecipe& set(const std::string& key, const std::string& value);
  /// Copies every entry of `other` (its values win).
  RunRecipe& merge(const RunRecipe& other);

  const std::map<std::string, std::string>& entries() const { return entries_; }
  bool operator==(const RunRecipe& other) const { return entries_ == other.entries_; }
  bool operator!=(const RunRecipe& other) const { return !(*this == other); }

  /// One "key = value" line per entry, sorted by key: what files store.
  std::string to_text() const;
  /// The inverse of to_text(); a line without " = " becomes a key with an empty value.
  static RunRecipe from_text(const std::string& text);

 private:
  std::map<std::string, std::string> entries_;
};

/// The keys whose values differ, one per line, at most `max_keys` of them:
/// "  student.model.hidden: [100] before, [50] now". Keys on one side only read "(not set)".
std::string describe_recipe_differences(const RunRecipe& before, const RunRecipe& now,
                                        size_t max_keys = 10);

/// A short hex content hash (CRC-32 and byte count) of a buffer, for recipe values.
std::string content_hash(const void* data, size_t size);

/// content_hash() of a whole file; throws distill::Error naming the file when it cannot be read.
std::string file_content_hash(const std::string& path);

}  // namespace distill
