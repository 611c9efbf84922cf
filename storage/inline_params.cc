#include "storage/inline_params.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace larder::storage {

absl::StatusOr<std::string> InlineParams(absl::string_view statement_id, absl::string_view sql,
                                         bool numbered, absl::Span<const SqlParam> params,
                                         absl::FunctionRef<std::string(const SqlParam&)> literal) {
  std::string out;
  out.reserve(sql.size() + 64);
  size_t next = 0;  // the next `?` parameter
  char quote = 0;   // the quote character we are inside of, or 0
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      out.push_back(c);
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      quote = c;
      out.push_back(c);
      continue;
    }
    size_t index = 0;  // one-based; 0: not a placeholder
    size_t end = i + 1;
    if (numbered && c == '$' && end < sql.size() && absl::ascii_isdigit(sql[end])) {
      while (end < sql.size() && absl::ascii_isdigit(sql[end])) {
        index = index * 10 + static_cast<size_t>(sql[end++] - '0');
      }
    } else if (!numbered && c == '?') {
      index = ++next;
    }
    if (index == 0) {
      out.push_back(c);
      continue;
    }
    if (index > params.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          statement_id, ": placeholder ", index, " has no parameter (", params.size(), " given)"));
    }
    out += literal(params[index - 1]);
    i = end - 1;
  }
  return out;
}

}  // namespace larder::storage
