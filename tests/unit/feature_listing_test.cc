// Feature records and Feast type strings (spec §4.16).
#include "server/registry/feature_listing.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace larder::registry {
namespace {

using feast::types::ValueType;

feast::core::FeatureSpecV2 Spec(int value_type,
                                const std::map<std::string, std::string>& tags = {}) {
  feast::core::FeatureSpecV2 spec;
  spec.set_name("f");
  spec.set_value_type(static_cast<ValueType::Enum>(value_type));
  for (const auto& [key, value] : tags) (*spec.mutable_tags())[key] = value;
  return spec;
}

std::string TypeOf(int value_type, const std::map<std::string, std::string>& tags = {}) {
  return FeastTypeString(Spec(value_type, tags));
}

TEST_CASE("Type strings of scalar, list and set value types", "[features]") {
  const std::vector<std::pair<int, std::string>> cases = {
      {ValueType::INVALID, "Invalid"},
      {ValueType::BYTES, "Bytes"},
      {ValueType::STRING, "String"},
      {ValueType::INT32, "Int32"},
      {ValueType::INT64, "Int64"},
      {ValueType::DOUBLE, "Float64"},
      {ValueType::FLOAT, "Float32"},
      {ValueType::BOOL, "Bool"},
      {ValueType::UNIX_TIMESTAMP, "UnixTimestamp"},
      {30, "PdfBytes"},
      {31, "ImageBytes"},
      {ValueType::MAP, "Map"},
      {ValueType::JSON, "Json"},
      {ValueType::UUID, "Uuid"},
      {ValueType::TIME_UUID, "TimeUuid"},
      {ValueType::DECIMAL, "Decimal"},
      {ValueType::SCALAR_MAP, "ScalarMap"},
      {ValueType::ZONED_TIMESTAMP, "ZonedTimestamp"},
      {ValueType::BYTES_LIST, "Array(Bytes)"},
      {ValueType::STRING_LIST, "Array(String)"},
      {ValueType::INT32_LIST, "Array(Int32)"},
      {ValueType::INT64_LIST, "Array(Int64)"},
      {ValueType::DOUBLE_LIST, "Array(Float64)"},
      {ValueType::FLOAT_LIST, "Array(Float32)"},
      {ValueType::BOOL_LIST, "Array(Bool)"},
      {ValueType::UNIX_TIMESTAMP_LIST, "Array(UnixTimestamp)"},
      {ValueType::MAP_LIST, "Array(Map)"},
      {ValueType::JSON_LIST, "Array(Json)"},
      {ValueType::UUID_LIST, "Array(Uuid)"},
      {ValueType::TIME_UUID_LIST, "Array(TimeUuid)"},
      {ValueType::DECIMAL_LIST, "Array(Decimal)"},
      {ValueType::BYTES_SET, "Set(Bytes)"},
      {ValueType::STRING_SET, "Set(String)"},
      {ValueType::INT32_SET, "Set(Int32)"},
      {ValueType::INT64_SET, "Set(Int64)"},
      {ValueType::DOUBLE_SET, "Set(Float64)"},
      {ValueType::FLOAT_SET, "Set(Float32)"},
      {ValueType::BOOL_SET, "Set(Bool)"},
      {ValueType::UNIX_TIMESTAMP_SET, "Set(UnixTimestamp)"},
      {ValueType::UUID_SET, "Set(Uuid)"},
      {ValueType::TIME_UUID_SET, "Set(TimeUuid)"},
      {ValueType::DECIMAL_SET, "Set(Decimal)"},
  };
  for (const auto& [value_type, expected] : cases) {
    INFO("value_type " << value_type);
    CHECK(TypeOf(value_type) == expected);
  }
}

TEST_CASE("Value types Feast cannot name still get a string", "[features]") {
  CHECK(TypeOf(ValueType::NULL_) == "Null");  // Python raises here
  CHECK(TypeOf(9) == "Invalid");              // not a ValueType number
  CHECK(TypeOf(1000) == "Invalid");
}

TEST_CASE("STRUCT types come from the struct schema tag", "[features]") {
  const std::string tag = "feast:struct_schema";
  // Field order is the tag's order, not alphabetical.
  CHECK(TypeOf(ValueType::STRUCT, {{tag, R"({"b": "STRING", "a": "INT32"})"}}) ==
        "Struct({b: String, a: Int32})");
  CHECK(TypeOf(ValueType::STRUCT_LIST, {{tag, R"({"a": "INT32", "b": "STRING"})"}}) ==
        "Array(Struct({a: Int32, b: String}))");
  // Display names, arrays, sets; an unknown name shows as String, as in the SDK.
  CHECK(TypeOf(ValueType::STRUCT,
               {{tag, R"j({"x": "Float64", "y": "Array(FLOAT64)", "z": "Set(INT64)",
                           "w": "NOT_A_TYPE"})j"}}) ==
        "Struct({x: Float64, y: Array(Float64), z: Set(Int64), w: String})");
  // A nested struct is itself JSON text inside the string value.
  CHECK(TypeOf(ValueType::STRUCT,
               {{tag, R"({"inner": "{\"__struct__\": {\"n\": \"INT64\"}}", "s": "STRING"})"}}) ==
        "Struct({inner: Struct({n: Int64}), s: String})");
  // \u escapes, including a surrogate pair, decode to UTF-8.
  CHECK(TypeOf(ValueType::STRUCT, {{tag, R"({"caf\u00e9\ud83d\ude00": "BOOL"})"}}) ==
        "Struct({caf\xc3\xa9\xf0\x9f\x98\x80: Bool})");
}

TEST_CASE("STRUCT without a readable schema shows the placeholder", "[features]") {
  const std::string tag = "feast:struct_schema";
  CHECK(TypeOf(ValueType::STRUCT) == "Struct({_value: String})");
  CHECK(TypeOf(ValueType::STRUCT_LIST) == "Array(Struct({_value: String}))");
  for (const char* bad : {"", "not json", R"({"a": 1})", R"(["INT32"])", R"({"a": "INT32")",
                          R"({"a": {"b": "INT32"}})", R"({"a": "INT32"} trailing)"}) {
    INFO("schema " << bad);
    CHECK(TypeOf(ValueType::STRUCT, {{tag, bad}}) == "Struct({_value: String})");
  }
}

TEST_CASE("Hostile nesting in a schema tag does not recurse without bound", "[features]") {
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "Array(";
  deep += "INT32";
  for (int i = 0; i < 10000; ++i) deep += ")";
  const std::string type =
      TypeOf(ValueType::STRUCT, {{"feast:struct_schema", R"({"a": ")" + deep + R"("})"}});
  CHECK(type.rfind("Struct({a: Array(Array(", 0) == 0);

  std::string nested_json;
  for (int i = 0; i < 10000; ++i) nested_json += R"({"a": )";
  CHECK(TypeOf(ValueType::STRUCT, {{"feast:struct_schema", nested_json}}) ==
        "Struct({_value: String})");
}

TEST_CASE("VALUE_LIST and VALUE_SET wrap the nested inner type tag", "[features]") {
  const std::string tag = "feast:nested_inner_type";
  CHECK(TypeOf(ValueType::VALUE_LIST) == "Array(Array(String))");
  CHECK(TypeOf(ValueType::VALUE_SET) == "Set(Array(String))");
  CHECK(TypeOf(ValueType::VALUE_LIST, {{tag, "Array(INT64)"}}) == "Array(Array(Int64))");
  CHECK(TypeOf(ValueType::VALUE_SET, {{tag, "Set(Float32)"}}) == "Set(Set(Float32))");
}

// ---- ListFeatureRecords ----

google::protobuf::Timestamp Seconds(int64_t s) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(s);
  return ts;
}

template <typename View>
void AddFeature(View& view, const std::string& name, int value_type,
                const std::map<std::string, std::string>& tags = {}) {
  feast::core::FeatureSpecV2 spec = Spec(value_type, tags);
  spec.set_name(name);
  spec.set_description(name + " description");
  *view.mutable_spec()->add_features() = spec;
}

ProjectObjects OneViewOfEachKind() {
  ProjectObjects objects;
  feast::core::FeatureView fv;
  fv.mutable_spec()->set_name("fv");
  fv.mutable_spec()->set_owner("fv-owner@example.com");
  *fv.mutable_meta()->mutable_created_timestamp() = Seconds(100);
  *fv.mutable_meta()->mutable_last_updated_timestamp() = Seconds(200);
  AddFeature(fv, "conv_rate", ValueType::DOUBLE, {{"team", "ml"}});
  AddFeature(fv, "profile", ValueType::STRUCT,
             {{"feast:struct_schema", R"({"age": "INT32"})"}, {"pii", "yes"}});
  objects.feature_views = {fv};

  feast::core::StreamFeatureView sfv;
  sfv.mutable_spec()->set_name("sfv");
  AddFeature(sfv, "clicks", ValueType::INT64);
  objects.stream_feature_views = {sfv};

  feast::core::OnDemandFeatureView odfv;
  odfv.mutable_spec()->set_name("odfv");
  odfv.mutable_spec()->set_owner("odfv-owner");
  AddFeature(odfv, "matrix", ValueType::VALUE_LIST,
             {{"feast:nested_inner_type", "Array(FLOAT64)"}});
  objects.on_demand_feature_views = {odfv};

  feast::core::LabelView lv;
  lv.mutable_spec()->set_name("lv");
  *lv.mutable_meta()->mutable_created_timestamp() = Seconds(300);
  AddFeature(lv, "is_fraud", ValueType::BOOL);
  objects.label_views = {lv};
  return objects;
}

TEST_CASE("Features are listed view kind by view kind, labels marked", "[features]") {
  const auto records = ListFeatureRecords(OneViewOfEachKind(), "demo");
  REQUIRE(records.size() == 5);
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> expected = {
      {"conv_rate", "fv", "Float64", "feature"},
      {"profile", "fv", "Struct({age: Int32})", "feature"},
      {"clicks", "sfv", "Int64", "feature"},
      {"matrix", "odfv", "Array(Array(Float64))", "feature"},
      {"is_fraud", "lv", "Bool", "label"},
  };
  for (size_t i = 0; i < records.size(); ++i) {
    INFO("record " << i);
    CHECK(records[i].name() == std::get<0>(expected[i]));
    CHECK(records[i].feature_view() == std::get<1>(expected[i]));
    CHECK(records[i].type() == std::get<2>(expected[i]));
    CHECK(records[i].kind() == std::get<3>(expected[i]));
    CHECK(records[i].description() == records[i].name() + " description");
  }
}

TEST_CASE("Internal type tags are not listed as feature tags", "[features]") {
  const auto records = ListFeatureRecords(OneViewOfEachKind(), "demo");
  REQUIRE(records.size() == 5);
  CHECK(records[0].tags().size() == 1);
  CHECK(records[0].tags().at("team") == "ml");
  CHECK(records[1].tags().size() == 1);  // feast:struct_schema dropped
  CHECK(records[1].tags().at("pii") == "yes");
  CHECK(records[3].tags().empty());  // feast:nested_inner_type dropped
}

TEST_CASE("Owner and timestamps come from the parent view", "[features]") {
  const auto records = ListFeatureRecords(OneViewOfEachKind(), "demo");
  REQUIRE(records.size() == 5);
  CHECK(records[0].owner() == "fv-owner@example.com");
  CHECK(records[0].created_timestamp().seconds() == 100);
  CHECK(records[0].last_updated_timestamp().seconds() == 200);
  CHECK(records[1].owner() == "fv-owner@example.com");

  // A view without meta timestamps leaves them unset, not zero-valued.
  CHECK(records[2].owner().empty());
  CHECK_FALSE(records[2].has_created_timestamp());
  CHECK_FALSE(records[2].has_last_updated_timestamp());

  CHECK(records[3].owner() == "odfv-owner");
  CHECK(records[4].created_timestamp().seconds() == 300);
  CHECK_FALSE(records[4].has_last_updated_timestamp());
}

TEST_CASE("A project without views has no features", "[features]") {
  CHECK(ListFeatureRecords(ProjectObjects{}, "demo").empty());
}

}  // namespace
}  // namespace larder::registry
