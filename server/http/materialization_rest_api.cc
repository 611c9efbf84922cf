#include "server/http/materialization_rest_api.h"

#include <functional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "larder/v1/materialization.pb.h"
#include "server/http/json_error.h"

namespace larder::http {
namespace {

namespace v1 = ::larder::v1;

constexpr char kJobs[] = "/api/v1/larder/materialization/jobs";

// What a route answers: its JSON and HTTP status, or an error status.
struct Answer {
  Json json;
  int status = 200;
};
using Handler = std::function<absl::StatusOr<Answer>(const HttpRequest&)>;

// Materialization answers describe leases and counters that change without a change-log entry
// (heartbeats), so they carry no ETag and are not to be cached.
HttpResponse Respond(const absl::StatusOr<Answer>& answer) {
  if (!answer.ok()) return StatusToHttp(answer.status());
  HttpResponse response;
  response.status = answer->status;
  response.body = answer->json.dump(-1, ' ', false, Json::error_handler_t::replace);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

Router::Handler Route(Handler handler) {
  return [handler = std::move(handler)](const HttpRequest& http) { return Respond(handler(http)); };
}

// A POST route: the body, which must be JSON, parsed into `Request` before `handler` runs.
// Unknown fields are refused rather than ignored, so a misspelt option is not silently dropped.
template <typename Request>
Router::Handler PostRoute(
    std::function<absl::StatusOr<Answer>(const HttpRequest&, Request&)> handler) {
  return [handler = std::move(handler)](const HttpRequest& http) {
    const std::string type = absl::AsciiStrToLower(http.Header("content-type"));
    if (!absl::StartsWith(type, "application/json")) {
      return JsonError(415, "Unsupported Media Type: send the request body as application/json");
    }
    Request request;
    if (!absl::StripAsciiWhitespace(http.body).empty()) {
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = false;
      const auto parsed = google::protobuf::util::JsonStringToMessage(http.body, &request, options);
      if (!parsed.ok()) {
        return JsonError(422,
                         absl::StrCat("request body is not a valid ", Request::descriptor()->name(),
                                      " in JSON: ", std::string(parsed.message())),
                         "ValueError");
      }
    }
    return Respond(handler(http, request));
  };
}

absl::StatusOr<Answer> Called(const RestCaller& caller, const HttpRequest& http,
                              absl::string_view method, const google::protobuf::Message& request,
                              int status = 200) {
  absl::StatusOr<Json> json = caller.Call(http, method, request);
  if (!json.ok()) return json.status();
  return Answer{*std::move(json), status};
}

// ?state=running&state=failed or ?state=running,failed; larderctl's words or the enum's names.
absl::Status AddStates(const HttpRequest& http, v1::ListJobsRequest& request) {
  for (const std::string& value : http.QueryAll("state")) {
    for (absl::string_view word : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(word));
      if (!absl::StartsWith(name, "JOB_")) name = absl::StrCat("JOB_", name);
      v1::JobState state;
      if (!v1::JobState_Parse(name, &state) || state == v1::JOB_STATE_UNSPECIFIED) {
        return absl::InvalidArgumentError(
            absl::StrCat("query parameter 'state': unknown state '", word,
                         "' (pending, running, succeeded, failed or cancelled)"));
      }
      request.add_states(state);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Answer> ListJobs(const RestCaller& caller, const HttpRequest& http) {
  v1::ListJobsRequest request;
  if (const std::string* project = http.Query("project")) request.set_project(*project);
  if (absl::Status s = AddStates(http, request); !s.ok()) return s;
  absl::StatusOr<int> limit = IntParam(http, "limit", 100, 1, 1000);
  if (!limit.ok()) return limit.status();
  request.set_limit(*limit);
  return Called(caller, http, "ListJobs", request);
}

absl::StatusOr<Answer> GetJob(const RestCaller& caller, const HttpRequest& http) {
  v1::GetJobRequest request;
  request.set_job_id(http.path_params.at("job_id"));
  absl::StatusOr<bool> tasks = BoolParam(http, "tasks", true);
  if (!tasks.ok()) return tasks.status();
  request.set_include_tasks(*tasks);
  return Called(caller, http, "GetJob", request);
}

// 201 for a new job, 200 when the request id had planned it before.
absl::StatusOr<Answer> PlanJob(const RestCaller& caller, const HttpRequest& http,
                               v1::PlanMaterializationRequest& request) {
  absl::StatusOr<Answer> answer = Called(caller, http, "PlanMaterialization", request);
  if (answer.ok() && !answer->json.value("alreadyPlanned", false)) answer->status = 201;
  return answer;
}

absl::StatusOr<Answer> CancelJob(const RestCaller& caller, const HttpRequest& http,
                                 v1::CancelJobRequest& request) {
  const std::string& job_id = http.path_params.at("job_id");
  if (!request.job_id().empty() && request.job_id() != job_id) {
    return absl::InvalidArgumentError(absl::StrCat("the body's jobId '", request.job_id(),
                                                   "' is not the job of the path, '", job_id, "'"));
  }
  request.set_job_id(job_id);
  return Called(caller, http, "CancelJob", request);
}

}  // namespace

void AddMaterializationRestApi(Router& router, const RestCaller& materialization) {
  const RestCaller& c = materialization;
  router.Get(kJobs, Route([&c](const HttpRequest& http) { return ListJobs(c, http); }));
  router.Post(kJobs, PostRoute<v1::PlanMaterializationRequest>(
                         [&c](const HttpRequest& http, v1::PlanMaterializationRequest& request) {
                           return PlanJob(c, http, request);
                         }));
  router.Get(absl::StrCat(kJobs, "/{job_id}"),
             Route([&c](const HttpRequest& http) { return GetJob(c, http); }));
  router.Post(
      absl::StrCat(kJobs, "/{job_id}/cancel"),
      PostRoute<v1::CancelJobRequest>([&c](const HttpRequest& http, v1::CancelJobRequest& request) {
        return CancelJob(c, http, request);
      }));
}

}  // namespace larder::http
