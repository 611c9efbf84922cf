#include "ctl/summary.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ctl/output.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace larder::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

struct Column {
  const char* header;
  const char* path;  // dotted field path from the object
};

std::vector<Column> ColumnsOf(const Kind& kind) {
  const absl::string_view name = kind.name;
  if (name == "project") return {{"DESCRIPTION", "spec.description"}};
  if (name == "data_source") return {{"TYPE", "type"}};
  if (name == "entity") return {{"JOIN KEY", "spec.join_key"}, {"TYPE", "spec.value_type"}};
  if (name == "feature_view" || name == "stream_feature_view") {
    return {{"ENTITIES", "spec.entities"}, {"FEATURES", "spec.features"}, {"TTL", "spec.ttl"}};
  }
  if (name == "on_demand_feature_view") {
    return {{"FEATURES", "spec.features"}, {"SOURCES", "spec.sources"}};
  }
  if (name == "label_view") return {{"ENTITIES", "spec.entities"}, {"TTL", "spec.ttl"}};
  if (name == "feature_service") return {{"FEATURE VIEWS", "spec.features"}};
  if (name == "saved_dataset") return {{"FEATURES", "spec.features"}};
  if (name == "validation_reference") return {{"DATASET", "reference_dataset_name"}};
  return {};
}

// The text of the field at `path`: repeated strings joined, other repeated fields counted,
// enums by name, durations in seconds.
std::string FieldText(const Message& object, const std::string& path) {
  const Message* message = &object;
  const std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(parts[i]);
    if (field == nullptr) return "";
    const auto* reflection = message->GetReflection();
    if (field->is_repeated()) {
      const int size = reflection->FieldSize(*message, field);
      if (field->type() == FieldDescriptor::TYPE_STRING) {
        std::vector<std::string> values;
        for (int j = 0; j < size; ++j)
          values.push_back(reflection->GetRepeatedString(*message, field, j));
        return absl::StrJoin(values, ",");
      }
      return absl::StrCat(size);
    }
    if (i + 1 < parts.size()) {
      if (field->type() != FieldDescriptor::TYPE_MESSAGE) return "";
      message = &reflection->GetMessage(*message, field);
      continue;
    }
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return reflection->GetString(*message, field);
      case FieldDescriptor::CPPTYPE_ENUM:
        return reflection->GetEnum(*message, field)->name();
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        if (!reflection->HasField(*message, field)) return "-";
        const Message& value = reflection->GetMessage(*message, field);
        if (value.GetDescriptor() == google::protobuf::Duration::descriptor()) {
          return absl::StrCat(static_cast<const google::protobuf::Duration&>(value).seconds(), "s");
        }
        return "";
      }
      default:
        return "";
    }
  }
  return "";
}

// meta.<field_name> (an empty Timestamp when the kind has none).
google::protobuf::Timestamp MetaTimestamp(const Message& object, const char* field_name) {
  const FieldDescriptor* meta = object.GetDescriptor()->FindFieldByName("meta");
  if (meta == nullptr || meta->type() != FieldDescriptor::TYPE_MESSAGE) return {};
  const Message& m = object.GetReflection()->GetMessage(object, meta);
  const FieldDescriptor* field = m.GetDescriptor()->FindFieldByName(field_name);
  if (field == nullptr || field->type() != FieldDescriptor::TYPE_MESSAGE) return {};
  const Message& ts = m.GetReflection()->GetMessage(m, field);
  if (ts.GetDescriptor() != google::protobuf::Timestamp::descriptor()) return {};
  return static_cast<const google::protobuf::Timestamp&>(ts);
}

std::string MetaTime(const Message& object, const char* field_name) {
  return TimeText(MetaTimestamp(object, field_name));
}

}  // namespace

std::vector<std::string> SummaryHeaders(const Kind& kind) {
  std::vector<std::string> headers;
  for (const Column& column : ColumnsOf(kind)) headers.push_back(column.header);
  return headers;
}

std::vector<std::string> SummaryCells(const Kind& kind, const Message& object) {
  std::vector<std::string> cells;
  for (const Column& column : ColumnsOf(kind)) cells.push_back(FieldText(object, column.path));
  return cells;
}

std::string UpdatedText(const Message& object) {
  return MetaTime(object, "last_updated_timestamp");
}
std::string CreatedText(const Message& object) { return MetaTime(object, "created_timestamp"); }

int64_t UpdatedMicros(const Message& object) {
  const google::protobuf::Timestamp ts = MetaTimestamp(object, "last_updated_timestamp");
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

}  // namespace larder::ctl
