// The one way literals are written into statements sent as simple queries (commit path).
#include "storage/inline_params.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace larder::storage {
namespace {

// A stand-in literal renderer that shows what was substituted.
std::string Show(const SqlParam& param) {
  if (std::holds_alternative<std::nullptr_t>(param)) return "NULL";
  if (const int64_t* n = std::get_if<int64_t>(&param)) return absl::StrCat(*n);
  if (const absl::string_view* s = std::get_if<absl::string_view>(&param)) {
    return absl::StrCat("<", *s, ">");
  }
  return absl::StrCat("blob(", std::get<Blob>(param).bytes.size(), ")");
}

TEST_CASE("InlineParams: numbered placeholders, any order, repeated, never re-substituted",
          "[storage]") {
  const std::vector<SqlParam> params = {int64_t{7}, absl::string_view("a $1 ? b"), nullptr};
  auto sql = InlineParams("t", "UPDATE t SET a = $2, b = $1, c = $3 WHERE d = $1 AND e = $10x",
                          true, params, Show);
  // $10 is placeholder 10, which has no parameter.
  CHECK(absl::IsInvalidArgument(sql.status()));
  sql = InlineParams("t", "UPDATE t SET a = $2, b = $1, c = $3 WHERE d = $1", true, params, Show);
  REQUIRE(sql.ok());
  CHECK(*sql == "UPDATE t SET a = <a $1 ? b>, b = 7, c = NULL WHERE d = 7");
}

TEST_CASE("InlineParams: question marks in order; quoted text and identifiers are left alone",
          "[storage]") {
  const std::vector<SqlParam> params = {int64_t{1}, absl::string_view("x")};
  auto sql = InlineParams("t", "SELECT '?', \"a?b\", `c?` FROM t WHERE a = ? AND b = ?", false,
                          params, Show);
  REQUIRE(sql.ok());
  CHECK(*sql == "SELECT '?', \"a?b\", `c?` FROM t WHERE a = 1 AND b = <x>");
  // '$1' is not a placeholder in the ? style, nor inside quotes in the $N style.
  CHECK(*InlineParams("t", "SELECT '$1', $1", true, params, Show) == "SELECT '$1', 1");
  CHECK(*InlineParams("t", "SELECT 'it''s ?', ?", false, params, Show) == "SELECT 'it''s ?', 1");
}

TEST_CASE("InlineParams: a placeholder without a parameter is an error naming the statement",
          "[storage]") {
  const std::vector<SqlParam> params = {int64_t{1}};
  auto sql = InlineParams("entity.update", "UPDATE t SET a = ?, b = ?", false, params, Show);
  REQUIRE(absl::IsInvalidArgument(sql.status()));
  CHECK(std::string(sql.status().message()).find("entity.update") == 0);
}

}  // namespace
}  // namespace larder::storage
