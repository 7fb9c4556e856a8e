// libFuzzer target: the CSV dataset reader must turn any text into a dataset or a
// distill::Error. The first byte picks the options (header or not, delimiter, class count).
#include <cstddef>
#include <cstdint>
#include <string>

#include "distill/core/error.h"
#include "distill/data/csv_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  distill::data::CsvOptions options;
  options.has_header = (data[0] & 1) == 0;
  options.label_column = options.has_header ? "label" : std::to_string((data[0] >> 1) & 3);
  options.delimiter = (data[0] & 8) ? ';' : ',';
  options.num_classes = (data[0] & 16) ? 10 : 0;
  try {
    distill::data::parse_csv_dataset(std::string(reinterpret_cast<const char*>(data) + 1, size - 1),
                                     "fuzz input", options);
  } catch (const distill::Error&) {
  }
  return 0;
}
