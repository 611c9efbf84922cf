#pragma once

// How larderctl prints: aligned tables for people, and JSON or YAML for scripts. Structured
// output is always built as JSON text first (protobuf's JSON mapping for Feast messages) and
// turned into the requested form in one place.

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace larder::ctl {

enum class Format { kTable, kJson, kYaml };

// "table", "json" or "yaml".
absl::StatusOr<Format> ParseFormat(const std::string& text);

// Columns padded to their widest cell, a header in capitals, two spaces between columns.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "key: value" lines, keys aligned.
void PrintFields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

// Protobuf's JSON mapping of `message` (compact); zero values omitted unless `with_defaults`.
std::string MessageJson(const google::protobuf::Message& message, bool with_defaults = false);
// `object_json` with the member `key` (raw JSON `value`) put first.
std::string PrependMember(const std::string& key, const std::string& value,
                          const std::string& object_json);
// `message`'s JSON with a leading "kind" member: the document `apply -f` reads back.
std::string ObjectDocument(const std::string& kind, const google::protobuf::Message& message);

// JSON text helpers for composing documents (JsonQuote: yaml_json.h).
// {"k": raw, ...} from (key, raw JSON) pairs, in order.
std::string JsonObject(const std::vector<std::pair<std::string, std::string>>& members);
std::string JsonArray(const std::vector<std::string>& raw_items);

// Prints JSON text as indented JSON or as YAML (block style).
void PrintStructured(std::ostream& out, const std::string& json, Format format);

// RFC 3339 in UTC, "-" when unset.
std::string TimeText(const google::protobuf::Timestamp& timestamp);

}  // namespace larder::ctl
