#include "server/registry/feature_listing.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"
#include "feast/types/Value.pb.h"

namespace larder::registry {
namespace {

using feast::types::ValueType;

// ValueType numbers the Python SDK uses but Feast's Value.proto does not declare.
constexpr int kPdfBytes = 30;
constexpr int kImageBytes = 31;

// What Feast shows for a struct or nested type whose describing tag is missing.
constexpr absl::string_view kPlaceholderStruct = "Struct({_value: String})";
constexpr absl::string_view kPlaceholderNestedInner = "Array(String)";

// Type strings and JSON come from client-written tags; bounding recursion keeps a hostile
// tag from exhausting the stack.
constexpr int kMaxNesting = 32;

// ---- A minimal JSON reader for struct schema tags ----
//
// The tags hold objects whose values are strings or (inside "__struct__") objects. Member
// order matters, because Feast shows struct fields in the order json.loads keeps them.
struct JsonValue {
  // User-provided, not defaulted: clang with libstdc++ 12 otherwise checks the implicit
  // constructor's noexcept while JsonValue is still incomplete (inside pair<string, JsonValue>)
  // and rejects the file; GCC accepts either. Needed by the clang sanitizer/fuzzing build.
  JsonValue() {}
  bool is_object = false;
  std::string text;                                        // when !is_object
  std::vector<std::pair<std::string, JsonValue>> members;  // when is_object
};

class JsonReader {
 public:
  explicit JsonReader(absl::string_view input) : in_(input) {}

  // The whole input as one value, or nullopt if it is not JSON of the supported subset.
  std::optional<JsonValue> ReadDocument() {
    JsonValue value;
    if (!ReadValue(value, 0)) return std::nullopt;
    SkipSpace();
    if (pos_ != in_.size()) return std::nullopt;
    return value;
  }

 private:
  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool ReadValue(JsonValue& out, int depth) {
    if (depth > kMaxNesting) return false;
    SkipSpace();
    if (pos_ >= in_.size()) return false;
    if (in_[pos_] == '"') {
      out.is_object = false;
      return ReadString(out.text);
    }
    if (in_[pos_] == '{') {
      out.is_object = true;
      return ReadObject(out.members, depth);
    }
    return false;
  }

  bool ReadObject(std::vector<std::pair<std::string, JsonValue>>& members, int depth) {
    ++pos_;  // '{'
    if (Consume('}')) return true;
    do {
      SkipSpace();
      std::string key;
      JsonValue value;
      if (pos_ >= in_.size() || in_[pos_] != '"' || !ReadString(key)) return false;
      if (!Consume(':') || !ReadValue(value, depth + 1)) return false;
      // A repeated key keeps its first position and its last value, like a Python dict.
      bool replaced = false;
      for (auto& member : members) {
        if (member.first == key) {
          member.second = std::move(value);
          replaced = true;
          break;
        }
      }
      if (!replaced) members.emplace_back(std::move(key), std::move(value));
    } while (Consume(','));
    return Consume('}');
  }

  bool ReadHex4(uint32_t& out) {
    if (in_.size() - pos_ < 4) return false;
    std::optional<uint32_t> value = common::ParseHex4(in_.substr(pos_, 4));
    pos_ += 4;
    if (!value.has_value()) return false;
    out = *value;
    return true;
  }

  bool ReadString(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < in_.size()) {
      const char c = in_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= in_.size()) return false;
      const char escape = in_[pos_++];
      switch (escape) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!ReadHex4(cp)) return false;
          // json.dumps escapes non-ASCII field names as surrogate pairs.
          if (cp >= 0xD800 && cp < 0xDC00 && in_.substr(pos_, 2) == "\\u") {
            const size_t save = pos_;
            pos_ += 2;
            uint32_t low = 0;
            if (ReadHex4(low) && low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          common::AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;  // unterminated
  }

  absl::string_view in_;
  size_t pos_ = 0;
};

// ---- Type strings ----

// Feast's primitive types: the name the SDK writes into schema tags (the Python
// PrimitiveFeastType member name) and the name it displays.
struct PrimitiveName {
  absl::string_view tag_name;
  absl::string_view display;
};
constexpr PrimitiveName kPrimitives[] = {
    {"INVALID", "Invalid"},
    {"BYTES", "Bytes"},
    {"STRING", "String"},
    {"INT32", "Int32"},
    {"INT64", "Int64"},
    {"FLOAT64", "Float64"},
    {"FLOAT32", "Float32"},
    {"BOOL", "Bool"},
    {"UNIX_TIMESTAMP", "UnixTimestamp"},
    {"PDF_BYTES", "PdfBytes"},
    {"IMAGE_BYTES", "ImageBytes"},
    {"MAP", "Map"},
    {"JSON", "Json"},
    {"UUID", "Uuid"},
    {"TIME_UUID", "TimeUuid"},
    {"DECIMAL", "Decimal"},
    {"SCALAR_MAP", "ScalarMap"},
    {"ZONED_TIMESTAMP", "ZonedTimestamp"},
};

std::string StructString(const std::vector<std::pair<std::string, JsonValue>>& fields, int depth);

// Display form of a type as written in a schema tag: a primitive name, "Array(<type>)",
// "Set(<type>)" or a nested struct as JSON {"__struct__": {field: type, ...}}. Display names
// ("Int32") are accepted as well as the SDK's tag names ("INT32"); anything unrecognised shows
// as String, which is also what the SDK falls back to.
std::string TagTypeString(absl::string_view type, int depth) {
  if (depth > kMaxNesting) return "String";
  if (absl::StartsWith(type, "Array(") && absl::EndsWith(type, ")") && type.size() > 6) {
    return absl::StrCat("Array(", TagTypeString(type.substr(6, type.size() - 7), depth + 1), ")");
  }
  if (absl::StartsWith(type, "Set(") && absl::EndsWith(type, ")") && type.size() > 4) {
    return absl::StrCat("Set(", TagTypeString(type.substr(4, type.size() - 5), depth + 1), ")");
  }
  if (absl::StartsWith(type, "{")) {
    std::optional<JsonValue> json = JsonReader(type).ReadDocument();
    if (json && json->is_object) {
      for (const auto& [key, value] : json->members) {
        if (key == "__struct__" && value.is_object) return StructString(value.members, depth + 1);
      }
    }
    return "String";
  }
  for (const PrimitiveName& p : kPrimitives) {
    if (type == p.tag_name || type == p.display) return std::string(p.display);
  }
  return "String";
}

// "Struct({a: Int32, b: String})" from a schema object; an empty string if a field's type is
// not a string (where Feast's SDK would raise).
std::string StructString(const std::vector<std::pair<std::string, JsonValue>>& fields, int depth) {
  std::string out = "Struct({";
  bool first = true;
  for (const auto& [name, type] : fields) {
    if (type.is_object) return "";
    absl::StrAppend(&out, first ? "" : ", ", name, ": ", TagTypeString(type.text, depth));
    first = false;
  }
  out += "})";
  return out;
}

// The struct type described by the feature's schema tag, or the placeholder when the tag is
// absent. A tag that is not a JSON object of field -> type string makes Feast's SDK raise; we
// show the placeholder instead so one bad tag does not fail a whole listing.
std::string StructFromTags(const feast::core::FeatureSpecV2& feature) {
  auto tag = feature.tags().find(std::string(kStructSchemaTag));
  if (tag == feature.tags().end()) return std::string(kPlaceholderStruct);
  std::optional<JsonValue> schema = JsonReader(tag->second).ReadDocument();
  if (!schema || !schema->is_object) return std::string(kPlaceholderStruct);
  std::string out = StructString(schema->members, 0);
  return out.empty() ? std::string(kPlaceholderStruct) : out;
}

// The element type of a VALUE_LIST / VALUE_SET feature. The tag holds the inner collection
// type (e.g. "Array(INT64)"), which the outer Array/Set wraps.
std::string NestedInnerFromTags(const feast::core::FeatureSpecV2& feature) {
  auto tag = feature.tags().find(std::string(kNestedInnerTypeTag));
  if (tag == feature.tags().end()) return std::string(kPlaceholderNestedInner);
  return TagTypeString(tag->second, 0);
}

// Display name of a ValueType that is a plain scalar, or nullopt.
std::optional<absl::string_view> ScalarName(int value_type) {
  switch (value_type) {
    case ValueType::INVALID:
      return "Invalid";
    case ValueType::BYTES:
      return "Bytes";
    case ValueType::STRING:
      return "String";
    case ValueType::INT32:
      return "Int32";
    case ValueType::INT64:
      return "Int64";
    case ValueType::DOUBLE:
      return "Float64";
    case ValueType::FLOAT:
      return "Float32";
    case ValueType::BOOL:
      return "Bool";
    case ValueType::UNIX_TIMESTAMP:
      return "UnixTimestamp";
    case kPdfBytes:
      return "PdfBytes";
    case kImageBytes:
      return "ImageBytes";
    case ValueType::MAP:
      return "Map";
    case ValueType::JSON:
      return "Json";
    case ValueType::UUID:
      return "Uuid";
    case ValueType::TIME_UUID:
      return "TimeUuid";
    case ValueType::DECIMAL:
      return "Decimal";
    case ValueType::SCALAR_MAP:
      return "ScalarMap";
    case ValueType::ZONED_TIMESTAMP:
      return "ZonedTimestamp";
    default:
      return std::nullopt;
  }
}

// For a *_LIST type, the ValueType of its element; otherwise nullopt.
std::optional<int> ListElement(int value_type) {
  switch (value_type) {
    case ValueType::BYTES_LIST:
      return ValueType::BYTES;
    case ValueType::STRING_LIST:
      return ValueType::STRING;
    case ValueType::INT32_LIST:
      return ValueType::INT32;
    case ValueType::INT64_LIST:
      return ValueType::INT64;
    case ValueType::DOUBLE_LIST:
      return ValueType::DOUBLE;
    case ValueType::FLOAT_LIST:
      return ValueType::FLOAT;
    case ValueType::BOOL_LIST:
      return ValueType::BOOL;
    case ValueType::UNIX_TIMESTAMP_LIST:
      return ValueType::UNIX_TIMESTAMP;
    case ValueType::MAP_LIST:
      return ValueType::MAP;
    case ValueType::JSON_LIST:
      return ValueType::JSON;
    case ValueType::UUID_LIST:
      return ValueType::UUID;
    case ValueType::TIME_UUID_LIST:
      return ValueType::TIME_UUID;
    case ValueType::DECIMAL_LIST:
      return ValueType::DECIMAL;
    default:
      return std::nullopt;
  }
}

// For a *_SET type, the ValueType of its element; otherwise nullopt.
std::optional<int> SetElement(int value_type) {
  switch (value_type) {
    case ValueType::BYTES_SET:
      return ValueType::BYTES;
    case ValueType::STRING_SET:
      return ValueType::STRING;
    case ValueType::INT32_SET:
      return ValueType::INT32;
    case ValueType::INT64_SET:
      return ValueType::INT64;
    case ValueType::DOUBLE_SET:
      return ValueType::DOUBLE;
    case ValueType::FLOAT_SET:
      return ValueType::FLOAT;
    case ValueType::BOOL_SET:
      return ValueType::BOOL;
    case ValueType::UNIX_TIMESTAMP_SET:
      return ValueType::UNIX_TIMESTAMP;
    case ValueType::UUID_SET:
      return ValueType::UUID;
    case ValueType::TIME_UUID_SET:
      return ValueType::TIME_UUID;
    case ValueType::DECIMAL_SET:
      return ValueType::DECIMAL;
    default:
      return std::nullopt;
  }
}

// Copies what a feature record takes from its parent view.
template <typename View>
void AppendViewFeatures(const View& view, absl::string_view kind,
                        std::vector<feast::registry::Feature>& out) {
  for (const feast::core::FeatureSpecV2& spec : view.spec().features()) {
    feast::registry::Feature& f = out.emplace_back();
    f.set_name(spec.name());
    f.set_feature_view(view.spec().name());
    f.set_type(FeastTypeString(spec));
    f.set_description(spec.description());
    f.set_owner(view.spec().owner());
    if (view.meta().has_created_timestamp()) {
      *f.mutable_created_timestamp() = view.meta().created_timestamp();
    }
    if (view.meta().has_last_updated_timestamp()) {
      *f.mutable_last_updated_timestamp() = view.meta().last_updated_timestamp();
    }
    for (const auto& [key, value] : spec.tags()) {
      if (key == kStructSchemaTag || key == kNestedInnerTypeTag) continue;
      (*f.mutable_tags())[key] = value;
    }
    f.set_kind(std::string(kind));
  }
}

}  // namespace

std::string FeastTypeString(const feast::core::FeatureSpecV2& feature) {
  // value_type() may hold numbers the enum does not declare (30, 31), so switch on the int.
  const int value_type = static_cast<int>(feature.value_type());
  if (std::optional<absl::string_view> scalar = ScalarName(value_type)) {
    return std::string(*scalar);
  }
  if (std::optional<int> element = ListElement(value_type)) {
    return absl::StrCat("Array(", *ScalarName(*element), ")");
  }
  if (std::optional<int> element = SetElement(value_type)) {
    return absl::StrCat("Set(", *ScalarName(*element), ")");
  }
  switch (value_type) {
    case ValueType::STRUCT:
      return StructFromTags(feature);
    case ValueType::STRUCT_LIST:
      return absl::StrCat("Array(", StructFromTags(feature), ")");
    case ValueType::VALUE_LIST:
      return absl::StrCat("Array(", NestedInnerFromTags(feature), ")");
    case ValueType::VALUE_SET:
      return absl::StrCat("Set(", NestedInnerFromTags(feature), ")");
    case ValueType::NULL_:
      // Feast has no type for NULL and its Python server raises (UNKNOWN to the client);
      // we name it rather than fail the whole listing.
      return "Null";
    default:
      // Numbers outside ValueType (9, 10, 49, ...) also make Python raise; show them as
      // Feast's "unknown" type for the same reason.
      return "Invalid";
  }
}

std::vector<feast::registry::Feature> ListFeatureRecords(const ProjectObjects& objects,
                                                         absl::string_view /*project*/) {
  std::vector<feast::registry::Feature> out;
  for (const auto& view : objects.feature_views) AppendViewFeatures(view, "feature", out);
  for (const auto& view : objects.stream_feature_views) AppendViewFeatures(view, "feature", out);
  for (const auto& view : objects.on_demand_feature_views) {
    AppendViewFeatures(view, "feature", out);
  }
  for (const auto& view : objects.label_views) AppendViewFeatures(view, "label", out);
  return out;
}

}  // namespace larder::registry
