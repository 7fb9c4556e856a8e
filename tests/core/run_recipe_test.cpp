// RunRecipe: stored as text and read back exactly; differences named key by key.
#include "distill/core/run_recipe.h"

#include <gtest/gtest.h>

#include "distill/core/error.h"

namespace distill {
namespace {

TEST(RunRecipe, TextRoundTripKeepsEveryEntry) {
  RunRecipe recipe;
  recipe.set("student.model.hidden[0]", "100").set("distill.alpha", "0").set("empty", "");
  const std::string text = recipe.to_text();
  EXPECT_EQ(text, "distill.alpha = 0\nempty = \nstudent.model.hidden[0] = 100\n");
  EXPECT_EQ(RunRecipe::from_text(text), recipe);
}

TEST(RunRecipe, DifferencesNameEachKeyWithBothValues) {
  RunRecipe before, now;
  before.set("a", "1").set("b", "2").set("gone", "x");
  now.set("a", "1").set("b", "3").set("new", "y");
  EXPECT_EQ(describe_recipe_differences(before, now),
            "  b: 2 before, 3 now\n"
            "  gone: x before, (not set) now\n"
            "  new: (not set) before, y now");
  EXPECT_EQ(describe_recipe_differences(before, before), "");
  EXPECT_EQ(describe_recipe_differences(before, now, 1), "  b: 2 before, 3 now\n  ... and 2 more");
}

TEST(RunRecipe, EntriesMustBeOneLine) {
  RunRecipe recipe;
  EXPECT_THROW(recipe.set("a\nb", "1"), Error);
  EXPECT_THROW(recipe.set("a", "1\n2"), Error);
  EXPECT_THROW(recipe.set("", "1"), Error);
}

TEST(RunRecipe, ContentHashIsZlibsCrc32AndTheSize) {
  // CRC-32 of "123456789" is the standard check value 0xcbf43926.
  EXPECT_EQ(content_hash("123456789", 9), "crc32:cbf43926/9");
  EXPECT_NE(content_hash("123456788", 9), content_hash("123456789", 9));
}

}  // namespace
}  // namespace distill
