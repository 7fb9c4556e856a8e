// The distill::Error a statement throws, for tests that check its message and hint:
//   const Error e = thrown_error([&] { validate(p); });
//   EXPECT_STREQ(e.what(), "...");
#pragma once

#include <gtest/gtest.h>

#include "distill/core/error.h"

namespace distill::testing {

/// Runs `statement` and returns the distill::Error it throws. If it throws none, the test fails
/// and an Error with an empty message comes back, so the caller's checks on it fail too; any
/// other exception propagates (and GoogleTest reports it).
template <typename Statement>
::distill::Error thrown_error(Statement&& statement) {
  try {
    statement();
  } catch (const ::distill::Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a distill::Error, none was thrown";
  return ::distill::Error("");
}

}  // namespace distill::testing
