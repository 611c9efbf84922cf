#include "server/http/larder_rest_api.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/http/json_diff.h"
#include "server/http/json_error.h"
#include "server/registry/kinds.h"
#include "storage/object_kind.h"

namespace larder::http {
namespace {

constexpr int kDefaultFeedLimit = 50;
constexpr int kMaxFeedLimit = 1000;
// ListChanges answers at most this many changes a call (larder.v1's cap).
constexpr int64_t kMaxWindow = 10000;

// A JSON answer whose ETag is the registry's current revision: these reads go to the change log,
// never to the snapshot, so the snapshot's revision could be older than what they show.
Router::Handler LarderJsonRoute(const RestCaller& caller,
                                std::function<absl::StatusOr<Json>(const HttpRequest&)> answer) {
  return [&caller, answer = std::move(answer)](const HttpRequest& http) {
    const std::string etag = caller.Etag(/*allow_cache=*/false);
    absl::StatusOr<Json> json = answer(http);
    if (!json.ok()) return StatusToHttp(json.status());
    HttpResponse response;
    response.body = json->dump(-1, ' ', false, Json::error_handler_t::replace);
    response.etag = etag;
    return response;
  };
}

// The stored object of a change (base64 `object` bytes in the rendered Change) as the REST API
// renders objects; null for a delete or a kind without a message (infra).
Json ObjectJson(const std::string& kind_name, const std::string& base64) {
  std::optional<storage::ObjectKind> kind = storage::KindFromName(kind_name);
  std::string bytes;
  if (!kind.has_value() || base64.empty() || !absl::Base64Unescape(base64, &bytes)) return nullptr;
  Json out = nullptr;
  registry::VisitKind(*kind, [&]<typename Message>() {
    Message message;
    if (message.ParseFromString(bytes)) out = ProtoToJson(message);
  });
  return out;
}

int64_t Int64Of(const Json& change, const char* key) {
  int64_t value = 0;
  // MessageToDict writes int64 as strings.
  if (change.contains(key) && change[key].is_string()) {
    (void)absl::SimpleAtoi(change[key].get<std::string>(), &value);
  }
  return value;
}

// One change as the feed and the history list it: numbers as numbers (they are revisions and
// version counters, far below 2^53), the operation, who and when.
Json ChangeSummary(const Json& change) {
  Json out = Json::object();
  out["revision"] = Int64Of(change, "revision");
  out["project"] = change.value("project", "");
  out["kind"] = change.value("kind", "");
  out["name"] = change.value("name", "");
  out["operation"] = change.value("operation", "");
  out["version"] = Int64Of(change, "objectVersion");
  out["actor"] = change.value("actor", "");
  out["changedAt"] = change.value("changedAt", "");
  out["requestId"] = change.value("requestId", "");
  return out;
}

absl::StatusOr<int64_t> Int64Param(const HttpRequest& http, absl::string_view name,
                                   int64_t fallback) {
  const std::string* value = http.Query(name);
  if (value == nullptr) return fallback;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(*value, &parsed) || parsed < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("query parameter '", name, "': input should be a non-negative integer"));
  }
  return parsed;
}

// Every visible change of one object, oldest first (GetObjectHistory).
absl::StatusOr<Json> History(const RestCaller& caller, const HttpRequest& http,
                             const std::string& project) {
  auto request = caller.NewRequest("GetObjectHistory");
  SetStringField(*request, "project", project);
  SetStringField(*request, "kind", http.path_params.at("kind"));
  SetStringField(*request, "name", http.path_params.at("name"));
  absl::StatusOr<Json> response = caller.Call(http, "GetObjectHistory", *request);
  if (!response.ok()) return response.status();
  Json changes = response->value("changes", Json::array());
  if (changes.empty()) {
    return absl::NotFoundError(absl::StrCat("no history for ", http.path_params.at("kind"), " '",
                                            http.path_params.at("name"), "' in project '", project,
                                            "'"));
  }
  return changes;
}

Json HistoryHeader(const HttpRequest& http, const std::string& project) {
  Json out = Json::object();
  out["project"] = project;
  out["kind"] = http.path_params.at("kind");
  out["name"] = http.path_params.at("name");
  return out;
}

absl::StatusOr<Json> ObjectHistory(const RestCaller& caller, const HttpRequest& http) {
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<Json> changes = History(caller, http, *project);
  if (!changes.ok()) return changes.status();
  Json versions = Json::array();
  for (auto it = changes->rbegin(); it != changes->rend(); ++it) {
    Json version = ChangeSummary(*it);
    version["object"] = ObjectJson(it->value("kind", ""), it->value("object", ""));
    versions.push_back(std::move(version));
  }
  Json out = HistoryHeader(http, *project);
  out["versions"] = std::move(versions);
  return out;
}

// The change that made version `version` of the object, or nullptr.
const Json* VersionChange(const Json& changes, int64_t version) {
  for (const Json& change : changes) {
    if (Int64Of(change, "objectVersion") == version && change.value("operation", "") != "delete") {
      return &change;
    }
  }
  return nullptr;
}

absl::StatusOr<Json> VersionDiff(const RestCaller& caller, const HttpRequest& http) {
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<Json> changes = History(caller, http, *project);
  if (!changes.ok()) return changes.status();
  int64_t latest = 0;
  for (const Json& change : *changes) {
    if (change.value("operation", "") != "delete") {
      latest = std::max(latest, Int64Of(change, "objectVersion"));
    }
  }
  absl::StatusOr<int64_t> to = Int64Param(http, "to", latest);
  if (!to.ok()) return to.status();
  absl::StatusOr<int64_t> from = Int64Param(http, "from", *to > 0 ? *to - 1 : 0);
  if (!from.ok()) return from.status();
  // Version 0 is "before it existed": the diff from it lists the whole first version as added.
  Json sides = Json::object();
  Json objects[2] = {Json::object(), Json::object()};
  const std::pair<const char*, int64_t> wanted[2] = {{"from", *from}, {"to", *to}};
  for (int i = 0; i < 2; ++i) {
    const auto& [side, version] = wanted[i];
    if (version == 0) {
      sides[side] = {{"version", 0}};
      continue;
    }
    const Json* change = VersionChange(*changes, version);
    if (change == nullptr) {
      return absl::NotFoundError(absl::StrCat(http.path_params.at("kind"), " '",
                                              http.path_params.at("name"), "' has no version ",
                                              version, " in its retained history"));
    }
    sides[side] = ChangeSummary(*change);
    objects[i] = ObjectJson(change->value("kind", ""), change->value("object", ""));
    if (objects[i].is_null()) objects[i] = Json::object();
  }
  Json out = HistoryHeader(http, *project);
  out["from"] = sides["from"];
  out["to"] = sides["to"];
  out["changes"] = JsonDiff(objects[0], objects[1]);
  return out;
}

// One ListChanges call: the visible changes after `after` matching the feed's filters, oldest
// first, at most `limit`.
absl::StatusOr<Json> ChangesAfter(const RestCaller& caller, const HttpRequest& http, int64_t after,
                                  int64_t limit) {
  auto request = caller.NewRequest("ListChanges");
  for (const char* filter : {"project", "kind", "name"}) {
    if (const std::string* value = http.Query(filter)) SetStringField(*request, filter, *value);
  }
  const google::protobuf::Reflection* reflection = request->GetReflection();
  const google::protobuf::Descriptor* descriptor = request->GetDescriptor();
  reflection->SetInt64(request.get(), descriptor->FindFieldByName("after_revision"), after);
  reflection->SetInt32(request.get(), descriptor->FindFieldByName("limit"),
                       static_cast<int32_t>(limit));
  absl::StatusOr<Json> response = caller.Call(http, "ListChanges", *request);
  if (!response.ok()) return response.status();
  return response->value("changes", Json::array());
}

absl::StatusOr<int64_t> CurrentRevision(const RestCaller& caller, const HttpRequest& http) {
  auto request = caller.NewRequest("GetServerInfo");
  absl::StatusOr<Json> info = caller.Call(http, "GetServerInfo", *request);
  if (!info.ok()) return info.status();
  return Int64Of(*info, "currentRevision");
}

// The change feed, newest first: the `limit` newest visible changes below revision `before`
// (default: all). The log is read forwards only, so this reads it backwards in windows of
// growing size: every change of a window (lo, hi] fits in one ListChanges call as long as the
// window is no wider than the call's cap.
absl::StatusOr<Json> ChangeFeed(const RestCaller& caller, const HttpRequest& http) {
  absl::StatusOr<int> limit = IntParam(http, "limit", kDefaultFeedLimit, 1, kMaxFeedLimit);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<int64_t> current = CurrentRevision(caller, http);
  if (!current.ok()) return current.status();
  absl::StatusOr<int64_t> before = Int64Param(http, "before", *current + 1);
  if (!before.ok()) return before.status();
  Json changes = Json::array();
  int64_t hi = std::min(*before - 1, *current);
  int64_t window = std::max<int64_t>(2 * *limit, 64);
  while (static_cast<int>(changes.size()) < *limit && hi > 0) {
    const int64_t lo = std::max<int64_t>(0, hi - window);
    absl::StatusOr<Json> page = ChangesAfter(caller, http, lo, hi - lo);
    if (!page.ok()) return page.status();
    for (auto it = page->rbegin(); it != page->rend(); ++it) {
      if (Int64Of(*it, "revision") > hi) continue;
      changes.push_back(ChangeSummary(*it));
      if (static_cast<int>(changes.size()) == *limit) break;
    }
    hi = lo;
    window = std::min(window * 4, kMaxWindow);
  }
  Json out = Json::object();
  out["changes"] = std::move(changes);
  out["currentRevision"] = *current;
  // Where the next (older) page starts; null when this page is not full (the start of the log).
  const bool more = static_cast<int>(out["changes"].size()) == *limit;
  out["nextBefore"] = more ? Json(out["changes"].back()["revision"]) : Json(nullptr);
  return out;
}

}  // namespace

void AddLarderRestApi(Router& router, const RestCaller& larder) {
  router.Get("/api/v1/larder/changes", LarderJsonRoute(larder, [&larder](const HttpRequest& http) {
               return ChangeFeed(larder, http);
             }));
  router.Get("/api/v1/larder/history/{kind}/{name}/diff",
             LarderJsonRoute(
                 larder, [&larder](const HttpRequest& http) { return VersionDiff(larder, http); }));
  router.Get("/api/v1/larder/history/{kind}/{name}",
             LarderJsonRoute(larder, [&larder](const HttpRequest& http) {
               return ObjectHistory(larder, http);
             }));
}

}  // namespace larder::http
