#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "server/http/answer_cache.h"
#include "server/http/http_message.h"
#include "server/http/proto_json.h"
#include "server/registry/registry.h"
#include "server/service/method.h"

namespace larder::http {

// The REST API's way into the service layer: runs a Feast RegistryServer method for an HTTP
// request through the same Run path as the gRPC front end (the request's bearer token
// authenticates it, Feast permissions filter and refuse), and renders the answer as JSON.
// Thread-safe.
class RestCaller {
 public:
  // `feast` and `registry` are not owned and must outlive the caller.
  RestCaller(const service::MethodTable& feast, registry::Registry& registry)
      : feast_(feast), registry_(registry) {}

  // An empty request of method `name` (e.g. "ListEntities"), or nullptr if there is none.
  std::unique_ptr<google::protobuf::Message> NewRequest(absl::string_view name) const;
  // Runs method `name` with `request` for the caller of `http`. Returns the method's status
  // (NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED, ...) on failure.
  absl::StatusOr<Json> Call(const HttpRequest& http, absl::string_view name,
                            const google::protobuf::Message& request) const;
  // The entity tag of a read: the registry revision its answer reflects (the snapshot's for
  // cached reads). Taken before the read, so it never names a newer state than was read.
  std::string Etag(bool allow_cache) const;

  // Whether a cached read's answer is the same for every caller right now, so it may be kept
  // in answers(): no access checks, and the snapshot has caught up with this replica's writes.
  bool AnswersShareable() const;
  // Rendered answers of cached reads, by request, for the current revision.
  AnswerCache& answers() const { return answers_; }

 private:
  const service::MethodTable& feast_;
  registry::Registry& registry_;
  mutable AnswerCache answers_;
};

// Query-string parsing with FastAPI's rules and Feast REST's error statuses (422 for a value
// that does not parse or is out of range, naming the parameter).
// A boolean: true/false, 1/0, yes/no, on/off (any case); `fallback` when absent.
absl::StatusOr<bool> BoolParam(const HttpRequest& http, absl::string_view name, bool fallback);
// An integer in [min, max]; `fallback` when absent.
absl::StatusOr<int> IntParam(const HttpRequest& http, absl::string_view name, int fallback, int min,
                             int max);
// A parameter Feast requires (e.g. project); INVALID_ARGUMENT when absent.
absl::StatusOr<std::string> RequiredParam(const HttpRequest& http, absl::string_view name);
// `?tags=key:value` pairs (entries without ':' are ignored, as Feast's parse_tags does).
std::map<std::string, std::string> TagsParam(const HttpRequest& http);

// Request fields set by name through reflection, so one handler fills many request types; a
// field the message does not have is left alone.
void SetStringField(google::protobuf::Message& message, absl::string_view field,
                    const std::string& value);
void SetBoolField(google::protobuf::Message& message, absl::string_view field, bool value);
void SetTagsField(google::protobuf::Message& message,
                  const std::map<std::string, std::string>& tags);
// The `pagination` {page, limit} and `sorting` {sort_by, sort_order} sub-messages.
void SetPageAndSort(google::protobuf::Message& message, int page, int limit,
                    const std::string& sort_by, const std::string& sort_order);

// Feast's _extract_feature_view_from_any: the one set member of an AnyFeatureView (JSON), as
// {"type": "<member's JSON name>", ...member}; {} when none is set.
Json FlattenAny(const Json& any);

// The value of `key` in `object` as text for sorting (strings as they are, others as JSON).
std::string SortKey(const Json& object, const std::string& key);

// Sorts (by a top-level key), pages and counts `items` as Feast's paginate_and_sort does;
// returns {items, pagination}.
std::pair<Json, Json> PaginateAndSort(Json items, int page, int limit, const std::string& sort_by,
                                      const std::string& sort_order);

}  // namespace larder::http
