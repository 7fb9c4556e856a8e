// Replays kept fuzzing inputs (the seed corpus and saved crashers) through one fuzz target
// outside libFuzzer, so the normal build and test suite hold every parser to them:
//
//   <target>_replay DIR_OR_FILE...
//
// Every input must return from LLVMFuzzerTestOneInput: a crash, or an exception other than the
// distill::Error the targets expect, fails the test. Missing directories are skipped (git keeps
// no empty regression folders); finding no input at all fails, as such a test would check nothing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path path = argv[i];
    if (fs::is_directory(path)) {
      for (const auto& entry : fs::directory_iterator(path))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
    } else if (fs::is_regular_file(path)) {
      inputs.push_back(path);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  for (const fs::path& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    std::cout << "replaying " << path.string() << " (" << bytes.size() << " bytes)" << std::endl;
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::cout << inputs.size() << " inputs replayed without a crash\n";
  if (inputs.empty()) {
    std::cerr << "no inputs found: expected fuzz/corpus/<target>/ files (make_seed_corpus)\n";
    return 1;
  }
  return 0;
}
