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

/// Whether this process writes files (default: yes). In a data-parallel run every rank computes
/// the same results and rank 0 alone writes them (distributed/communicator.h): the other ranks
/// turn writing off, and write_file_atomically then returns without touching the disk.
void set_process_writes_files(bool writes);
bool process_writes_files();

/// Removes a file or folder this process wrote (a finished stage's checkpoint), ignoring one
/// that is not there; does nothing where the process writes no files.
void remove_written_file(const std::filesystem::path& path);

/// Reads a whole file into memory; throws distill::Error naming the path when it cannot.
std::string read_file_bytes(const std::filesystem::path& path);

}  // namespace distill
