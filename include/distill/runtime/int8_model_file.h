// The int8 model file (docs/model-format.md): a fixed 32-byte preamble with a CRC-32, a JSON
// header describing the layers, and a payload of weights, scales and biases. Decoding checks
// every size and offset before reading, so a truncated, corrupt or hostile file gives an error
// naming what is wrong, never a crash or an out-of-bounds read.
#pragma once

#include <cstdint>
#include <string>

#include "distill/runtime/int8_model.h"

namespace distill::runtime {

inline constexpr char kInt8ModelMagic[9] = "DSTLINT8";
/// The newest version this build writes and reads (it reads every earlier one too).
inline constexpr uint32_t kInt8ModelFormatVersion = 2;

/// The file's bytes for `model` (validated first).
std::string encode_int8_model(const Int8Model& model);

/// Parses and validates a file's bytes; `source` names the file in errors.
Int8Model decode_int8_model(const std::string& bytes, const std::string& source);

/// Reads and decodes the file at `path`.
Int8Model load_int8_model(const std::string& path);

}  // namespace distill::runtime
