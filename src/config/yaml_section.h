// Typed, strict reading of one YAML mapping: every key read is type-checked, and keys never read
// are reported as unknown (with the closest known key as a hint). Errors name the file and the
// full key path ("teacher.train.lr").
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace distill::config {

class YamlSection {
 public:
  /// `node` must be a mapping or null (an absent section); `path` is its key path ("" for the root).
  YamlSection(YAML::Node node, std::string path, std::string source);

  bool has(const std::string& key) const;
  void read(const std::string& key, int64_t& value);
  void read(const std::string& key, uint64_t& value);
  void read(const std::string& key, double& value);
  void read(const std::string& key, bool& value);
  void read(const std::string& key, std::string& value);
  void read(const std::string& key, std::vector<int64_t>& value);
  void read(const std::string& key, std::vector<double>& value);
  void read(const std::string& key, std::vector<std::string>& value);
  /// Reads a string that must be one of `choices` and stores the matching enum value.
  template <typename Enum>
  void read_choice(const std::string& key, Enum& value,
                   const std::vector<std::pair<std::string, Enum>>& choices);
  /// The sub-mapping `key` (an empty section when absent).
  YamlSection section(const std::string& key);
  /// The list of mappings `key` ("distill.features[1]" names its second item); empty when absent.
  std::vector<YamlSection> sections(const std::string& key);
  /// Throws distill::Error for the first key of this mapping that no read() asked for.
  void reject_unknown_keys() const;

  /// "teacher.train.lr" for key "lr" of section "teacher.train".
  std::string key_path(const std::string& key) const;
  const std::string& source() const { return source_; }
  const std::string& path() const { return path_; }

 private:
  /// The value of `key` (undefined when absent or null), marking the key as read.
  std::optional<YAML::Node> scalar(const std::string& key);
  template <typename T>
  T convert(const std::string& key, const YAML::Node& node, const char* expected) const;
  [[noreturn]] void fail_type(const std::string& key, const YAML::Node& node,
                              const std::string& expected) const;
  [[noreturn]] void fail_choice(const std::string& key, const std::string& found,
                                const std::vector<std::string>& names) const;

  YAML::Node node_;
  std::string path_;
  std::string source_;
  std::set<std::string> read_keys_;
};

/// The known name closest to `word` by edit distance, or "" when none is close.
std::string closest_name(const std::string& word, const std::vector<std::string>& names);

template <typename Enum>
void YamlSection::read_choice(const std::string& key, Enum& value,
                              const std::vector<std::pair<std::string, Enum>>& choices) {
  read_keys_.insert(key);
  if (!has(key)) return;
  std::string text;
  read(key, text);
  std::vector<std::string> names;
  for (const auto& [name, choice] : choices) {
    if (name == text) {
      value = choice;
      return;
    }
    names.push_back(name);
  }
  fail_choice(key, text, names);
}

}  // namespace distill::config
