// CRC-32 (zlib's polynomial) over buffers of any size, for the file formats' integrity checks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace distill {

uint32_t crc32_of(const char* data, size_t size);

}  // namespace distill
