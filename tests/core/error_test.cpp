// The check macros carry values, hints and the raising location.
#include "distill/core/error.h"

#include <gtest/gtest.h>

namespace distill {
namespace {

TEST(Error, CheckStreamsValuesIntoTheMessage) {
  const int batch = 0;
  try {
    DISTILL_CHECK(batch > 0, "batch_size must be > 0, got ", batch);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "batch_size must be > 0, got 0");
    EXPECT_TRUE(e.hint().empty());
    EXPECT_NE(e.where().find("error_test.cpp:"), std::string::npos) << e.where();
  }
}

TEST(Error, CheckHintCarriesTheHint) {
  try {
    DISTILL_CHECK_HINT(false, "install it", "missing ", "file");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "missing file");
    EXPECT_EQ(e.hint(), "install it");
  }
}

TEST(Error, PassingCheckDoesNothing) { EXPECT_NO_THROW(DISTILL_CHECK(1 + 1 == 2, "math")); }

}  // namespace
}  // namespace distill
