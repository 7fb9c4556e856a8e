// For fuzz targets whose parser reads a file by path: writes the input to a file private to
// this process (in /dev/shm when it exists, so fuzzing does not wear the disk).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace distill::fuzz {

inline std::filesystem::path write_fuzz_input(const uint8_t* data, size_t size,
                                              const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  const std::filesystem::path path =
      dir / ("distill-fuzz-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace distill::fuzz
