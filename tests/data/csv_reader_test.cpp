// The CSV reader: values, label column choice, and each kind of bad row.
#include "distill/data/csv_reader.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "tensor_assertions.h"
#include "test_support.h"

namespace distill::data {
namespace {

std::string error_of(const std::string& text, const CsvOptions& options = {}) {
  try {
    parse_csv_dataset(text, "d.csv", options);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CsvReader, ReadsFeaturesAndLabelColumnByName) {
  const Dataset d = parse_csv_dataset("x1,label,x2\n0.5,1,2\n-1e2,0,3.25\n\n", "d.csv", {});
  EXPECT_TENSOR_CLOSE(d.features, at::tensor({0.5f, 2.0f, -100.0f, 3.25f}).view({2, 2}));
  EXPECT_TRUE(d.labels.equal(at::tensor({1, 0}, at::kLong)));
  EXPECT_EQ(d.num_classes, 2);
}

TEST(CsvReader, HeaderlessFileTakesTheLabelColumnByIndex) {
  CsvOptions options;
  options.has_header = false;
  options.label_column = "0";
  options.num_classes = 5;
  const Dataset d = parse_csv_dataset("4;1;2\n0;3;4\n", "d.csv", [&] {
    CsvOptions o = options;
    o.delimiter = ';';
    return o;
  }());
  EXPECT_TENSOR_CLOSE(d.features, at::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({2, 2}));
  EXPECT_TRUE(d.labels.equal(at::tensor({4, 0}, at::kLong)));
  EXPECT_EQ(d.num_classes, 5);
}

TEST(CsvReader, ErrorsNameLineColumnAndText) {
  EXPECT_EQ(error_of("a,label\n1,0\nx,1\n"),
            "CSV file 'd.csv', line 3, column 1: 'x' is not a finite number");
  EXPECT_EQ(error_of("a,label\n1,0\n2\n"), "CSV file 'd.csv', line 3: 1 fields, expected 2");
  EXPECT_EQ(error_of("a,label\n1,-1\n"),
            "CSV file 'd.csv', line 2, column 2: label '-1' is not a non-negative integer");
  EXPECT_EQ(error_of("a,label\n1,0.5\n"),
            "CSV file 'd.csv', line 2, column 2: label '0.5' is not a non-negative integer");
  EXPECT_EQ(error_of("a,label\n1,nan\n"),
            "CSV file 'd.csv', line 2, column 2: label 'nan' is not a non-negative integer");
  EXPECT_EQ(error_of("a,label\ninf,1\n"),
            "CSV file 'd.csv', line 2, column 1: 'inf' is not a finite number");
  EXPECT_EQ(error_of("a,b\n1,2\n"),
            "CSV file 'd.csv': no column named 'label' in the header (a,b)");
  EXPECT_EQ(error_of(""), "CSV file 'd.csv' is empty: expected a header line");
  EXPECT_EQ(error_of("a,label\n"), "CSV file 'd.csv' holds no data rows");
  CsvOptions three;
  three.num_classes = 3;
  EXPECT_EQ(error_of("a,label\n1,7\n", three),
            "CSV file 'd.csv' holds label 7 but num_classes is 3 (labels 0 to 2)");
}

}  // namespace
}  // namespace distill::data
