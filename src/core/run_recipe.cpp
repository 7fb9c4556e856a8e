// RunRecipe: settings and identities by name, stored as text, compared key by key.
#include "distill/core/run_recipe.h"

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "distill/core/checksum.h"
#include "distill/core/error.h"

namespace distill {
namespace {
constexpr const char* kSeparator = " = ";
}  // namespace

RunRecipe& RunRecipe::set(const std::string& key, const std::string& value) {
  DISTILL_CHECK(key.find('\n') == std::string::npos && value.find('\n') == std::string::npos &&
                    key.find(kSeparator) == std::string::npos && !key.empty(),
                "a recipe entry must be one line with a non-empty key: '", key, "' = '", value,
                "'");
  entries_[key] = value;
  return *this;
}

RunRecipe& RunRecipe::merge(const RunRecipe& other) {
  for (const auto& [key, value] : other.entries_) entries_[key] = value;
  return *this;
}

std::string RunRecipe::to_text() const {
  std::string text;
  for (const auto& [key, value] : entries_) text += key + kSeparator + value + "\n";
  return text;
}

RunRecipe RunRecipe::from_text(const std::string& text) {
  RunRecipe recipe;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const size_t at = line.find(kSeparator);
    if (at == std::string::npos)
      recipe.entries_[line] = "";
    else
      recipe.entries_[line.substr(0, at)] = line.substr(at + std::string(kSeparator).size());
  }
  return recipe;
}

std::string describe_recipe_differences(const RunRecipe& before, const RunRecipe& now,
                                        size_t max_keys) {
  std::set<std::string> keys;
  for (const auto& [key, unused] : before.entries()) keys.insert(key);
  for (const auto& [key, unused] : now.entries()) keys.insert(key);
  const auto value_of = [](const RunRecipe& recipe, const std::string& key) {
    const auto it = recipe.entries().find(key);
    return it == recipe.entries().end() ? std::string("(not set)") : it->second;
  };
  std::vector<std::string> lines;
  size_t differing = 0;
  for (const auto& key : keys) {
    const std::string a = value_of(before, key), b = value_of(now, key);
    if (a == b) continue;
    if (++differing <= max_keys) lines.push_back(fmt::format("  {}: {} before, {} now", key, a, b));
  }
  if (differing > max_keys) lines.push_back(fmt::format("  ... and {} more", differing - max_keys));
  std::string text;
  for (const auto& line : lines) text += (text.empty() ? "" : "\n") + line;
  return text;
}

std::string content_hash(const void* data, size_t size) {
  return fmt::format("crc32:{:08x}/{}", crc32_of(static_cast<const char*>(data), size), size);
}

std::string file_content_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DISTILL_CHECK(in.good(), "cannot read '", path, "' to identify it");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string all = bytes.str();
  return content_hash(all.data(), all.size());
}

}  // namespace distill
