//===- JsonIntegersTest.cpp - Integers of JSON input without UB -----------===//

#include "moesaic/Support/JsonIntegers.h"

#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

using namespace moesaic;

namespace {

std::optional<int64_t> parsed(llvm::StringRef text) {
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
  EXPECT_TRUE(bool(v)) << text.str();
  if (!v) {
    llvm::consumeError(v.takeError());
    return std::nullopt;
  }
  return jsonInteger(*v);
}

TEST(JsonIntegers, WholeNumbersInRange) {
  EXPECT_EQ(parsed("3"), 3);
  EXPECT_EQ(parsed("-7"), -7);
  EXPECT_EQ(parsed("3.0"), 3);
  EXPECT_EQ(parsed("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parsed("-9223372036854775808"), INT64_MIN);
  // -2^63 held as a double is exactly INT64_MIN.
  EXPECT_EQ(parsed("-9223372036854775808.0"), INT64_MIN);
}

TEST(JsonIntegers, NotIntegers) {
  EXPECT_EQ(parsed("3.5"), std::nullopt);
  EXPECT_EQ(parsed("\"3\""), std::nullopt);
  EXPECT_EQ(parsed("18446744073709551615"), std::nullopt); // above INT64_MAX
  EXPECT_EQ(parsed("1e300"), std::nullopt);
  // 2^63 as a double: LLVM 19's getAsInteger converts it to int64_t
  // (undefined behaviour; x86 gives INT64_MIN). Both spellings parse to it.
  EXPECT_EQ(parsed("9223372036854775808.0"), std::nullopt);
  EXPECT_EQ(parsed("9223372036854775807.13"), std::nullopt);
}

TEST(JsonIntegers, ObjectKeys) {
  llvm::json::Object o{{"a", 4}, {"b", 2.5}};
  EXPECT_EQ(jsonInteger(o, "a"), 4);
  EXPECT_EQ(jsonInteger(o, "b"), std::nullopt);
  EXPECT_EQ(jsonInteger(o, "missing"), std::nullopt);
}

} // namespace
