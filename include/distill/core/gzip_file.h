// Reading files that may be gzip-compressed (Fashion-MNIST's IDX files, text corpora), through
// zlib: a plain file reads as it is.
#pragma once

#include <filesystem>
#include <string>

namespace distill {

/// The file's bytes, decompressed when it is gzip data. `what` names the kind of file in errors
/// ("IDX file", "text file"); `missing_hint` is the hint for a file that does not exist. Throws
/// distill::Error naming the file for a missing file and for corrupt or truncated gzip data.
std::string read_maybe_gzipped(const std::filesystem::path& path, const std::string& what,
                               const std::string& missing_hint);

}  // namespace distill
