#include "ctl/output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ctl/yaml_json.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"

namespace larder::ctl {
namespace {

// A scalar the YAML reader would take for something other than a string when written plain.
bool LooksTyped(const std::string& text) {
  if (text.empty()) return true;
  static const char* kWords[] = {"true", "false", "null", "yes",  "no",   "on",    "off", "~",
                                 "True", "False", "Null", "NULL", "TRUE", "FALSE", "Yes", "No"};
  for (const char* word : kWords) {
    if (text == word) return true;
  }
  const char first = text[0];
  return absl::ascii_isdigit(static_cast<unsigned char>(first)) || first == '-' || first == '+' ||
         first == '.';
}

// Emits a node loaded from JSON, keeping strings that look like numbers or booleans quoted
// (the JSON reader marks quoted scalars with the "!" tag), so the YAML reads back the same.
void Emit(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (const auto& item : node) {
        out << YAML::Key << item.first.as<std::string>() << YAML::Value;
        Emit(out, item.second);
      }
      out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& item : node) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar: {
      const std::string text = node.Scalar();
      if (node.Tag() == "!" && LooksTyped(text)) {
        out << YAML::DoubleQuoted << text;
      } else {
        out << text;
      }
      break;
    }
    default:
      out << YAML::Null;
  }
}

}  // namespace

absl::StatusOr<Format> ParseFormat(const std::string& text) {
  if (text == "table") return Format::kTable;
  if (text == "json") return Format::kJson;
  if (text == "yaml") return Format::kYaml;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown output format \"", text, "\" (table, json or yaml)"));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(headers_.size(), 0);
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = headers_[i].size();
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      line += cell;
      if (i + 1 < widths.size()) line += std::string(widths[i] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

void PrintFields(std::ostream& out,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size());
  for (const auto& [key, value] : fields) {
    out << key << ":" << std::string(width - key.size() + 1, ' ') << value << "\n";
  }
}

std::string MessageJson(const google::protobuf::Message& message, bool with_defaults) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = with_defaults;
  // Cannot fail for messages built from our own descriptors.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string PrependMember(const std::string& key, const std::string& value,
                          const std::string& object_json) {
  std::string doc = "{" + JsonQuote(key) + ":" + value;
  if (object_json.size() > 2) {
    doc += "," + object_json.substr(1);
  } else {
    doc += "}";
  }
  return doc;
}

std::string ObjectDocument(const std::string& kind, const google::protobuf::Message& message) {
  return PrependMember("kind", JsonQuote(kind), MessageJson(message));
}

std::string JsonObject(const std::vector<std::pair<std::string, std::string>>& members) {
  std::vector<std::string> parts;
  for (const auto& [key, raw] : members) parts.push_back(JsonQuote(key) + ":" + raw);
  return "{" + absl::StrJoin(parts, ",") + "}";
}

std::string JsonArray(const std::vector<std::string>& raw_items) {
  return "[" + absl::StrJoin(raw_items, ",") + "]";
}

void PrintStructured(std::ostream& out, const std::string& json, Format format) {
  const YAML::Node node = YAML::Load(json);
  if (format == Format::kYaml) {
    YAML::Emitter emitter;
    emitter.SetIndent(2);
    Emit(emitter, node);
    out << emitter.c_str() << "\n";
    return;
  }
  out << NodeToJson(node, 2) << "\n";
}

std::string TimeText(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

}  // namespace larder::ctl
