// Crash-safe file writes: data goes to a temporary file beside the target, is flushed to disk,
// then renamed over the target, so a reader sees either the old file or the new one, whole.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace distill {

/// Writes `bytes` to `path` atomically (temp file in the same directory, fsync, rename).
/// Creates missing parent directories. Throws distill::Error naming the path and the OS reason
/// (e.g. "No space left on device") on failure; the previous file, if any, is left intact.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

/// Reads a whole file into memory; throws distill::Error naming the path when it cannot.
std::string read_file_bytes(const std::filesystem::path& path);

}  // namespace distill
