#include "server/http/rest_call.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace larder::http {

namespace pb = google::protobuf;

std::unique_ptr<pb::Message> RestCaller::NewRequest(absl::string_view name) const {
  const service::Method* method = feast_.Find(name);
  return method == nullptr ? nullptr : method->NewRequest();
}

absl::StatusOr<Json> RestCaller::Call(const HttpRequest& http, absl::string_view name,
                                      const pb::Message& request) const {
  const service::Method* method = feast_.Find(name);
  if (method == nullptr) return absl::InternalError(absl::StrCat("no method ", name));
  service::CallContext context;
  context.method = method->full_name;
  context.authorization = http.Header("authorization");
  context.request_id = http.Header("x-request-id");
  context.peer = http.peer;  // the socket's, never a header the client could forge
  context.front_end = service::FrontEnd::kHttp;
  absl::StatusOr<service::Reply> reply =
      service::Invoke(feast_.runner(), *method, context, request);
  if (!reply.ok()) return reply.status();
  absl::StatusOr<std::unique_ptr<pb::Message>> message = ReplyMessage(*method, *reply);
  if (!message.ok()) return message.status();
  return ProtoToJson(**message);
}

std::string RestCaller::Etag(bool allow_cache) const {
  int64_t revision = registry_.SnapshotRevision();
  if (!allow_cache) {
    absl::StatusOr<int64_t> current = registry_.CurrentRevision();
    if (current.ok()) revision = *current;
  }
  return absl::StrCat("r", revision);
}

bool RestCaller::AnswersShareable() const {
  return !feast_.runner().checks_access() && registry_.CachedReadsReady();
}

absl::StatusOr<bool> BoolParam(const HttpRequest& http, absl::string_view name, bool fallback) {
  const std::string* value = http.Query(name);
  if (value == nullptr) return fallback;
  const std::string text = absl::AsciiStrToLower(*value);
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("query parameter '", name, "': input should be a valid boolean"));
}

absl::StatusOr<int> IntParam(const HttpRequest& http, absl::string_view name, int fallback, int min,
                             int max) {
  const std::string* value = http.Query(name);
  if (value == nullptr) return fallback;
  int parsed = 0;
  if (!absl::SimpleAtoi(*value, &parsed)) {
    return absl::InvalidArgumentError(
        absl::StrCat("query parameter '", name, "': input should be a valid integer"));
  }
  if (parsed < min || parsed > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("query parameter '", name, "': input should be between ", min, " and ", max));
  }
  return parsed;
}

absl::StatusOr<std::string> RequiredParam(const HttpRequest& http, absl::string_view name) {
  const std::string* value = http.Query(name);
  if (value == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("query parameter '", name, "': field required"));
  }
  return *value;
}

std::map<std::string, std::string> TagsParam(const HttpRequest& http) {
  std::map<std::string, std::string> tags;
  for (const std::string& tag : http.QueryAll("tags")) {
    const size_t colon = tag.find(':');
    if (colon == std::string::npos) continue;
    tags[tag.substr(0, colon)] = tag.substr(colon + 1);
  }
  return tags;
}

namespace {
const pb::FieldDescriptor* FieldOf(const pb::Message& message, absl::string_view name,
                                   pb::FieldDescriptor::CppType type) {
  const pb::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(std::string(name));
  if (field == nullptr || field->cpp_type() != type || field->is_repeated()) return nullptr;
  return field;
}
}  // namespace

void SetStringField(pb::Message& message, absl::string_view name, const std::string& value) {
  if (const auto* field = FieldOf(message, name, pb::FieldDescriptor::CPPTYPE_STRING)) {
    message.GetReflection()->SetString(&message, field, value);
  }
}

void SetBoolField(pb::Message& message, absl::string_view name, bool value) {
  if (const auto* field = FieldOf(message, name, pb::FieldDescriptor::CPPTYPE_BOOL)) {
    message.GetReflection()->SetBool(&message, field, value);
  }
}

void SetTagsField(pb::Message& message, const std::map<std::string, std::string>& tags) {
  const pb::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName("tags");
  if (field == nullptr || !field->is_map()) return;
  const pb::Reflection* reflection = message.GetReflection();
  for (const auto& [key, value] : tags) {
    pb::Message* entry = reflection->AddMessage(&message, field);
    entry->GetReflection()->SetString(entry, entry->GetDescriptor()->FindFieldByName("key"), key);
    entry->GetReflection()->SetString(entry, entry->GetDescriptor()->FindFieldByName("value"),
                                      value);
  }
}

void SetPageAndSort(pb::Message& message, int page, int limit, const std::string& sort_by,
                    const std::string& sort_order) {
  const pb::Reflection* reflection = message.GetReflection();
  if (const auto* field = FieldOf(message, "pagination", pb::FieldDescriptor::CPPTYPE_MESSAGE)) {
    pb::Message* pagination = reflection->MutableMessage(&message, field);
    const pb::Descriptor* d = pagination->GetDescriptor();
    pagination->GetReflection()->SetInt32(pagination, d->FindFieldByName("page"), page);
    pagination->GetReflection()->SetInt32(pagination, d->FindFieldByName("limit"), limit);
  }
  if (const auto* field = FieldOf(message, "sorting", pb::FieldDescriptor::CPPTYPE_MESSAGE)) {
    pb::Message* sorting = reflection->MutableMessage(&message, field);
    const pb::Descriptor* d = sorting->GetDescriptor();
    sorting->GetReflection()->SetString(sorting, d->FindFieldByName("sort_by"), sort_by);
    sorting->GetReflection()->SetString(sorting, d->FindFieldByName("sort_order"), sort_order);
  }
}

Json FlattenAny(const Json& any) {
  for (const auto& [key, value] : any.items()) {
    if (!value.is_object() || value.empty()) continue;
    Json flat = Json::object();
    flat["type"] = key;
    for (const auto& [field, content] : value.items()) flat[field] = content;
    return flat;
  }
  return Json::object();
}

std::string SortKey(const Json& object, const std::string& key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::pair<Json, Json> PaginateAndSort(Json items, int page, int limit, const std::string& sort_by,
                                      const std::string& sort_order) {
  if (!sort_by.empty()) {
    const bool descending = sort_order == "desc";
    // Numbers compare as numbers (search's match_score), anything else by its text.
    auto less = [&sort_by](const Json& a, const Json& b) {
      const Json* x = a.is_object() && a.contains(sort_by) ? &a.at(sort_by) : nullptr;
      const Json* y = b.is_object() && b.contains(sort_by) ? &b.at(sort_by) : nullptr;
      if (x != nullptr && y != nullptr && x->is_number() && y->is_number()) {
        return x->get<double>() < y->get<double>();
      }
      return SortKey(a, sort_by) < SortKey(b, sort_by);
    };
    std::stable_sort(items.begin(), items.end(), [&](const Json& a, const Json& b) {
      return descending ? less(b, a) : less(a, b);
    });
  }
  const int64_t total = static_cast<int64_t>(items.size());
  const int64_t start = static_cast<int64_t>(page - 1) * limit;
  const int64_t end = start + limit;
  Json paged = Json::array();
  for (int64_t i = std::max<int64_t>(start, 0); i < std::min(end, total); ++i) {
    paged.push_back(std::move(items[static_cast<size_t>(i)]));
  }
  Json pagination = Json::object();
  if (page != 0) pagination["page"] = page;
  if (limit != 0) pagination["limit"] = limit;
  if (total != 0) pagination["totalCount"] = total;
  if (const int64_t pages = limit == 0 ? 0 : (total + limit - 1) / limit; pages != 0) {
    pagination["totalPages"] = pages;
  }
  if (end < total) pagination["hasNext"] = true;
  if (start > 0) pagination["hasPrevious"] = true;
  return {std::move(paged), std::move(pagination)};
}

}  // namespace larder::http
