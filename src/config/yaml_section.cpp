// Strict typed reads from yaml-cpp nodes.
#include "yaml_section.h"

#include <functional>

#include <algorithm>
#include <cmath>
#include <optional>

#include "distill/core/error.h"

namespace distill::config {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string describe_node(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

template <typename T>
std::vector<T> read_list(const YAML::Node& node, const std::string& key,
                         const std::function<T(const std::string&, const YAML::Node&)>& item) {
  std::vector<T> out;
  for (size_t i = 0; i < node.size(); ++i)
    out.push_back(item(key + "[" + std::to_string(i) + "]", node[i]));
  return out;
}

}  // namespace

std::string closest_name(const std::string& word, const std::vector<std::string>& names) {
  // A known name the word starts with ("lrate" -> "lr") is the likeliest intent.
  for (const auto& name : names)
    if (name.size() >= 2 && word.size() > name.size() && word.compare(0, name.size(), name) == 0)
      return name;
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& name : names) {
    const size_t d = edit_distance(word, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

YamlSection::YamlSection(YAML::Node node, std::string path, std::string source)
    : node_(node.IsDefined() ? std::move(node) : YAML::Node()),  // an absent key reads as null
      path_(std::move(path)),
      source_(std::move(source)) {
  DISTILL_CHECK(node_.IsNull() || node_.IsMap(), "config '", source_, "': ",
                path_.empty() ? "the document" : "'" + path_ + "'", " must be a mapping of keys, got ",
                describe_node(node_));
}

std::string YamlSection::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

bool YamlSection::has(const std::string& key) const {
  if (!node_.IsMap()) return false;
  const YAML::Node& node = node_;
  return node[key].IsDefined() && !node[key].IsNull();
}

void YamlSection::fail_type(const std::string& key, const YAML::Node& node,
                            const std::string& expected) const {
  DISTILL_FAIL("config '", source_, "': ", key_path(key), " = ", describe_node(node), ": expected ",
               expected);
}

void YamlSection::fail_choice(const std::string& key, const std::string& found,
                              const std::vector<std::string>& names) const {
  const std::string guess = closest_name(found, names);
  throw Error(detail::concat("config '", source_, "': ", key_path(key), " = '", found,
                             "': expected one of ", join(names)),
              guess.empty() ? std::string() : "did you mean '" + guess + "'?");
}

std::optional<YAML::Node> YamlSection::scalar(const std::string& key) {
  read_keys_.insert(key);
  if (!has(key)) return std::nullopt;
  const YAML::Node& node = node_;
  return node[key];
}

template <typename T>
T YamlSection::convert(const std::string& key, const YAML::Node& node,
                       const char* expected) const {
  if (!node.IsScalar()) fail_type(key, node, expected);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    fail_type(key, node, expected);
  }
}

void YamlSection::read(const std::string& key, int64_t& value) {
  if (const auto node = scalar(key)) value = convert<int64_t>(key, *node, "an integer");
}

void YamlSection::read(const std::string& key, uint64_t& value) {
  const auto node = scalar(key);
  if (!node) return;
  if (node->IsScalar() && node->Scalar().find('-') != std::string::npos)
    fail_type(key, *node, "a non-negative integer");
  value = convert<uint64_t>(key, *node, "a non-negative integer");
}

void YamlSection::read(const std::string& key, double& value) {
  const auto node = scalar(key);
  if (!node) return;
  value = convert<double>(key, *node, "a number");
  if (!std::isfinite(value)) fail_type(key, *node, "a finite number");
}

void YamlSection::read(const std::string& key, bool& value) {
  if (const auto node = scalar(key)) value = convert<bool>(key, *node, "true or false");
}

void YamlSection::read(const std::string& key, std::string& value) {
  const auto node = scalar(key);
  if (!node) return;
  if (!node->IsScalar()) fail_type(key, *node, "a string");
  value = node->Scalar();
}

void YamlSection::read(const std::string& key, std::vector<int64_t>& value) {
  const auto node = scalar(key);
  if (!node) return;
  if (!node->IsSequence()) fail_type(key, *node, "a list of integers, e.g. [100, 50]");
  value = read_list<int64_t>(*node, key, [this](const std::string& k, const YAML::Node& n) {
    return convert<int64_t>(k, n, "an integer");
  });
}

void YamlSection::read(const std::string& key, std::vector<double>& value) {
  const auto node = scalar(key);
  if (!node) return;
  if (!node->IsSequence()) fail_type(key, *node, "a list of numbers, e.g. [0.7, 0.3]");
  value = read_list<double>(*node, key, [this](const std::string& k, const YAML::Node& n) {
    return convert<double>(k, n, "a number");
  });
}

void YamlSection::read(const std::string& key, std::vector<std::string>& value) {
  const auto node = scalar(key);
  if (!node) return;
  if (!node->IsSequence()) fail_type(key, *node, "a list of strings, e.g. [a.pt, b.pt]");
  value = read_list<std::string>(*node, key, [this](const std::string& k, const YAML::Node& n) {
    return convert<std::string>(k, n, "a string");
  });
}

YamlSection YamlSection::section(const std::string& key) {
  read_keys_.insert(key);
  const YAML::Node& node = node_;
  return YamlSection(node.IsMap() ? node[key] : YAML::Node(), key_path(key), source_);
}

std::vector<YamlSection> YamlSection::sections(const std::string& key) {
  read_keys_.insert(key);
  std::vector<YamlSection> items;
  const YAML::Node& node = node_;
  const YAML::Node list = node.IsMap() ? node[key] : YAML::Node();
  if (!list.IsDefined() || list.IsNull()) return items;
  if (!list.IsSequence()) fail_type(key, list, "a list of mappings");
  for (size_t i = 0; i < list.size(); ++i)
    items.emplace_back(list[i], key_path(key) + "[" + std::to_string(i) + "]", source_);
  return items;
}

void YamlSection::reject_unknown_keys() const {
  if (!node_.IsMap()) return;
  std::vector<std::string> known(read_keys_.begin(), read_keys_.end());
  for (const auto& entry : node_) {
    DISTILL_CHECK(entry.first.IsScalar(), "config '", source_, "': ",
                  path_.empty() ? "the document" : "'" + path_ + "'",
                  " has a key that is not a plain name (", describe_node(entry.first), ")");
    const std::string key = entry.first.Scalar();
    if (read_keys_.count(key)) continue;
    const std::string guess = closest_name(key, known);
    throw Error(detail::concat("config '", source_, "': unknown key '", key_path(key),
                               "'; allowed here: ", join(known)),
                guess.empty() ? "see docs/config.md for every key"
                              : "did you mean '" + key_path(guess) + "'?");
  }
}

}  // namespace distill::config
