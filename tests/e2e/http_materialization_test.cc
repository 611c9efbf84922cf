// larder.v1.Materialization's job calls over REST (/api/v1/larder/materialization/jobs) through
// the real binary on every backend: planning (idempotent under the request id), listing with
// larderctl's filters, one job with its tasks and cancelling, each answer checked against what
// gRPC answers for the same job; the same permission checks as on gRPC; and hostile input
// (malformed JSON, unknown fields, the wrong method or content type, an oversize body, unknown
// jobs) refused with a JSON 4xx.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "tests/e2e/api_fixture.h"
#include "tests/e2e/http_client.h"
#include "tests/e2e/materialization_fixture.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

namespace v1 = ::larder::v1;
using Spec = core::PermissionSpec;

constexpr char kJobs[] = "/api/v1/larder/materialization/jobs";

// A message in protobuf's JSON mapping, as the REST API reads and writes them.
Json JsonOf(const google::protobuf::Message& message) {
  std::string text;
  REQUIRE(google::protobuf::util::MessageToJsonString(message, &text).ok());
  return Json::parse(text);
}

std::string JobPath(const std::string& job_id, const std::string& tail = "") {
  return std::string(kJobs) + "/" + job_id + tail;
}

std::vector<std::string> JobIds(const Json& list) {
  std::vector<std::string> ids;
  for (const Json& job : list.value("jobs", Json::array())) {
    ids.push_back(job["jobId"].get<std::string>());
  }
  return ids;
}

void JobsOverRest(ScratchDatabase& db) {
  MatServer s(db);
  const int port = s.api.process().http_port();
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("a", 86400)));
  REQUIRE_OK(s.api.Apply("p", View("b", 86400)));

  // Plan: the body is PlanMaterializationRequest in protobuf's JSON mapping. [T0 - 2h, T0) in
  // spans of 30 minutes: four tasks. A new job is 201 Created.
  const std::string body =
      R"({"project": "p", "featureViews": ["a"], "startTime": "2023-11-14T20:13:20Z",
          "endTime": "2023-11-14T22:13:20Z", "taskSpan": "1800s", "requestId": "nightly-1"})";
  HttpResult planned = HttpPostJson(port, kJobs, body);
  INFO(planned.body);
  REQUIRE(planned.status == 201);
  CHECK(planned.Header("cache-control") == "no-store");
  const Json job = planned.json()["job"];
  const std::string job_id = job["jobId"].get<std::string>();
  CHECK(job["state"] == "JOB_PENDING");
  CHECK(job["requestId"] == "nightly-1");
  REQUIRE(job["tasks"].size() == 4);
  CHECK(job["tasks"][0]["startTime"] == "2023-11-14T20:13:20Z");
  CHECK(job["tasks"][3]["endTime"] == "2023-11-14T22:13:20Z");
  CHECK_FALSE(planned.json().contains("alreadyPlanned"));
  // The same request id again: the same job, 200 and alreadyPlanned.
  HttpResult again = HttpPostJson(port, kJobs, body);
  REQUIRE(again.status == 200);
  CHECK(again.json()["alreadyPlanned"] == true);
  CHECK(again.json()["job"]["jobId"] == job_id);
  // The request id may come from the X-Request-Id header instead, as for every REST call.
  s.Advance(kSecond);  // so the lists below have a newest job
  const std::string b_body = JsonOf(Range(kT0 - kHour, kT0, {"b"})).dump();
  HttpResult by_header = HttpPostJson(port, kJobs, b_body, {{"X-Request-Id", "b-once"}});
  REQUIRE(by_header.status == 201);
  const std::string b_job = by_header.json()["job"]["jobId"].get<std::string>();
  HttpResult by_header_again = HttpPostJson(port, kJobs, b_body, {{"X-Request-Id", "b-once"}});
  REQUIRE(by_header_again.status == 200);
  CHECK(by_header_again.json()["job"]["jobId"] == b_job);

  // A worker (gRPC) completes one task of the first job; REST shows what gRPC shows.
  absl::StatusOr<v1::LeaseTasksResponse> leased =
      s.client->LeaseTasks("w1", 1, absl::Seconds(30), job_id);
  REQUIRE(leased.ok());
  REQUIRE(leased->tasks_size() == 1);
  const v1::MaterializationTask task = leased->tasks(0);
  REQUIRE(s.client->CompleteTask(task).ok());
  absl::StatusOr<v1::MaterializationJob> grpc_job = s.client->GetJob(job_id, true);
  REQUIRE(grpc_job.ok());
  HttpResult shown = HttpGet(port, JobPath(job_id));
  REQUIRE(shown.status == 200);
  CHECK(shown.json()["job"] == JsonOf(*grpc_job));
  CHECK(shown.json()["job"]["state"] == "JOB_RUNNING");
  CHECK(shown.json()["job"]["progress"]["succeeded"] == "1");
  CHECK(shown.json()["job"]["tasks"][0]["worker"] == "w1");
  absl::StatusOr<v1::MaterializationJob> without_tasks = s.client->GetJob(job_id, false);
  REQUIRE(without_tasks.ok());
  CHECK(HttpGet(port, JobPath(job_id, "?tasks=false")).json()["job"] == JsonOf(*without_tasks));

  // Lists: newest first, with larderctl's filters.
  v1::ListJobsRequest all;
  absl::StatusOr<v1::ListJobsResponse> grpc_list = s.client->ListJobs(all);
  REQUIRE(grpc_list.ok());
  HttpResult listed = HttpGet(port, kJobs);
  REQUIRE(listed.status == 200);
  CHECK(listed.json() == JsonOf(*grpc_list));
  CHECK(JobIds(listed.json()) == std::vector<std::string>{b_job, job_id});
  CHECK(JobIds(HttpGet(port, std::string(kJobs) + "?project=p&state=running").json()) ==
        std::vector<std::string>{job_id});
  CHECK(JobIds(HttpGet(port, std::string(kJobs) + "?state=pending&state=JOB_RUNNING").json())
            .size() == 2);
  CHECK(JobIds(HttpGet(port, std::string(kJobs) + "?state=succeeded,failed").json()).empty());
  CHECK(JobIds(HttpGet(port, std::string(kJobs) + "?project=elsewhere").json()).empty());
  CHECK(JobIds(HttpGet(port, std::string(kJobs) + "?limit=1").json()) ==
        std::vector<std::string>{b_job});

  // Cancel: the job and its unfinished tasks end; the range already recorded stays.
  HttpResult cancelled =
      HttpPostJson(port, JobPath(job_id, "/cancel"), R"({"reason": "superseded"})");
  REQUIRE(cancelled.status == 200);
  CHECK(cancelled.json()["job"]["state"] == "JOB_CANCELLED");
  CHECK(cancelled.json()["job"]["error"] == "superseded");
  CHECK(cancelled.json()["job"]["progress"]["cancelled"] == "3");
  absl::StatusOr<v1::MaterializationJob> after = s.client->GetJob(job_id);
  REQUIRE(after.ok());
  CHECK(after->state() == v1::JOB_CANCELLED);
  CHECK(IntervalsOf(*s.client, "a").size() == 1);
  // Cancelling again changes nothing; an empty body is fine.
  HttpResult twice = HttpPostJson(port, JobPath(job_id, "/cancel"), "");
  REQUIRE(twice.status == 200);
  CHECK(twice.json()["job"]["error"] == "superseded");
  CHECK(JobIds(HttpGet(port, std::string(kJobs) + "?state=cancelled").json()) ==
        std::vector<std::string>{job_id});
}
LARDER_BACKEND_TEST("http: materialization jobs are planned, listed, shown and cancelled over REST",
                    JobsOverRest)

// A JSON error the way every REST error is shaped, with `status`.
void CheckError(const HttpResult& got, int status, const std::string& detail_part = "") {
  INFO(got.body);
  CHECK(got.status == status);
  const Json body = got.json();
  REQUIRE(body.is_object());
  CHECK(body["status_code"] == status);
  CHECK(body["detail"].is_string());
  if (!detail_part.empty()) {
    CHECK_THAT(body["detail"].get<std::string>(), Catch::Contains(detail_part));
  }
}

void HostileInput(ScratchDatabase& db) {
  MatServer s(db);
  const int port = s.api.process().http_port();
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("a", 86400)));
  const std::string good = JsonOf(Range(kT0 - kHour, kT0, {"a"})).dump();

  CheckError(HttpPostJson(port, kJobs, "{\"project\": \"p\", "), 422, "not a valid");
  CheckError(HttpPostJson(port, kJobs, "[1, 2]"), 422, "PlanMaterializationRequest");
  CheckError(HttpPostJson(port, kJobs, R"({"project": "p", "featureView": ["a"]})"), 422,
             "featureView");
  CheckError(HttpPostJson(port, kJobs, R"({"project": "p", "taskSpan": "forever"})"), 422);
  CheckError(HttpPostJson(port, kJobs, "{\"project\": \"p\xff\"}"), 422);
  // What the service refuses: a plan without a range, a view that does not exist.
  CheckError(HttpPostJson(port, kJobs, R"({"project": "p", "featureViews": ["a"]})"), 422);
  CheckError(HttpPostJson(port, kJobs, JsonOf(Range(kT0 - kHour, kT0, {"nope"})).dump()), 404);
  // Not JSON, or no content type: 415 (a browser cannot send JSON cross-origin unasked).
  CheckError(HttpSend(port, "POST", kJobs, good, "text/plain"), 415, "application/json");
  CheckError(HttpSend(port, "POST", kJobs, good, ""), 415);
  CheckError(HttpSend(port, "POST", kJobs, "project=p", "application/x-www-form-urlencoded"), 415);
  // Over the body limit: 413, without the body ever being parsed (httplib discards what arrives
  // until its read timeout, so this takes about 5 s).
  const std::string too_big =
      RawExchange(port, {std::string("POST ") + kJobs +
                         " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 2097152\r\nConnection: close\r\n\r\n{\"project\": \"p"});
  CHECK(RawStatus(too_big) == 413);
  CHECK_THAT(too_big, Catch::Contains("Payload Too Large"));
  // Unknown jobs.
  CheckError(HttpGet(port, JobPath("no-such-job")), 404, "no-such-job");
  CheckError(HttpPostJson(port, JobPath("no-such-job", "/cancel"), "{}"), 404);
  // The wrong method: 405 naming the allowed ones.
  const HttpResult get_cancel = HttpGet(port, JobPath("x", "/cancel"));
  CheckError(get_cancel, 405);
  CHECK(get_cancel.Header("allow") == "POST");
  const HttpResult delete_jobs = HttpRequestOf(port, "DELETE", kJobs);
  CheckError(delete_jobs, 405);
  CHECK(delete_jobs.Header("allow") == "GET, POST");
  CheckError(HttpSend(port, "PUT", JobPath("x"), "{}", "application/json"), 405);
  // Bad query parameters.
  CheckError(HttpGet(port, std::string(kJobs) + "?limit=0"), 422, "limit");
  CheckError(HttpGet(port, std::string(kJobs) + "?limit=many"), 422, "limit");
  CheckError(HttpGet(port, std::string(kJobs) + "?state=sleeping"), 422, "sleeping");
  CheckError(HttpGet(port, JobPath("x", "?tasks=perhaps")), 422, "tasks");

  // A cancel whose body names another job than its path.
  HttpResult planned = HttpPostJson(port, kJobs, good);
  REQUIRE(planned.status == 201);
  const std::string job_id = planned.json()["job"]["jobId"].get<std::string>();
  CheckError(HttpPostJson(port, JobPath(job_id, "/cancel"), R"({"jobId": "other"})"), 422, "other");
  CheckError(HttpPostJson(port, JobPath(job_id, "/cancel"), R"({"why": "x"})"), 422, "why");
  // After all that the server still serves, and nothing was planned by the refused calls.
  absl::StatusOr<v1::ListJobsResponse> jobs = s.client->ListJobs({});
  REQUIRE(jobs.ok());
  CHECK(jobs->jobs_size() == 1);
}
LARDER_BACKEND_TEST("http: hostile input to the materialization endpoints is a JSON 4xx",
                    HostileInput)

core::Permission Role(const std::string& name, std::vector<Spec::Type> types,
                      const std::string& pattern, std::vector<Spec::AuthzedAction> actions,
                      const std::string& role) {
  core::Permission p;
  p.mutable_spec()->set_name(name);
  for (auto t : types) p.mutable_spec()->add_types(t);
  p.mutable_spec()->add_name_patterns(pattern);
  for (auto a : actions) p.mutable_spec()->add_actions(a);
  p.mutable_spec()->mutable_policy()->mutable_role_based_policy()->add_roles(role);
  return p;
}

void SameChecksAsGrpc(ScratchDatabase& db) {
  TempDir tokens_dir;
  const std::string tokens = tokens_dir.File("tokens");
  std::ofstream(tokens) << "tok-admin admin roles=admin\ntok-writer writer roles=writer\n"
                           "tok-reader reader roles=reader\n";
  MatServer s(db, {"--auth-tokens=" + tokens, "--default-project=p"});
  const int port = s.api.process().http_port();
  s.api.set_authorization("Bearer tok-admin");
  REQUIRE_OK(s.api.Apply(
      "p",
      Role("admin-all",
           {Spec::PROJECT, Spec::ENTITY, Spec::DATA_SOURCE, Spec::FEATURE_VIEW, Spec::PERMISSION},
           ".*", {Spec::CREATE, Spec::DESCRIBE, Spec::UPDATE, Spec::DELETE, Spec::WRITE_ONLINE},
           "admin")));
  REQUIRE_OK(s.api.Apply(
      "p", Role("writer-online", {Spec::FEATURE_VIEW}, "mine_.*", {Spec::WRITE_ONLINE}, "writer")));
  REQUIRE_OK(s.api.Apply(
      "p", Role("writer-describes", {Spec::PROJECT}, ".*", {Spec::DESCRIBE}, "writer")));
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("mine_a", 86400)));
  REQUIRE_OK(s.api.Apply("p", View("theirs", 86400)));
  const std::pair<std::string, std::string> admin{"Authorization", "Bearer tok-admin"};
  const std::pair<std::string, std::string> writer{"Authorization", "Bearer tok-writer"};
  const std::pair<std::string, std::string> reader{"Authorization", "Bearer tok-reader"};
  const std::string mine = JsonOf(Range(kT0 - kHour, kT0, {"mine_a"})).dump();
  const std::string both = JsonOf(Range(kT0 - 2 * kHour, kT0 - kHour, {})).dump();

  // No token: 401 for reads and writes alike.
  CheckError(HttpGet(port, kJobs), 401);
  CheckError(HttpPostJson(port, kJobs, mine), 401);
  // Planning needs WRITE_ONLINE on every view planned, as on gRPC.
  CheckError(HttpPostJson(port, kJobs, both, {writer}), 403);
  CheckError(HttpPostJson(port, kJobs, mine, {reader}), 403);
  HttpResult planned = HttpPostJson(port, kJobs, mine, {writer});
  REQUIRE(planned.status == 201);
  CHECK(planned.json()["job"]["createdBy"] == "writer");
  HttpResult admins = HttpPostJson(port, kJobs, both, {admin});
  REQUIRE(admins.status == 201);
  const std::string admins_job = admins.json()["job"]["jobId"].get<std::string>();
  // Reads need DESCRIBE on the project.
  CHECK(HttpGet(port, std::string(kJobs) + "?project=p", {writer}).status == 200);
  CheckError(HttpGet(port, std::string(kJobs) + "?project=p", {reader}), 403);
  CheckError(HttpGet(port, JobPath(admins_job), {reader}), 403);
  CHECK(HttpGet(port, JobPath(admins_job), {writer}).status == 200);
  // Cancelling needs WRITE_ONLINE on each of the job's views.
  CheckError(HttpPostJson(port, JobPath(admins_job, "/cancel"), "{}", {writer}), 403);
  CHECK(HttpPostJson(port, JobPath(admins_job, "/cancel"), "{}", {admin}).status == 200);
  absl::StatusOr<v1::MaterializationJob> job = s.MakeClient("tok-admin")->GetJob(admins_job);
  REQUIRE(job.ok());
  CHECK(job->state() == v1::JOB_CANCELLED);
  CHECK_THAT(job->error(), Catch::Contains("admin"));
}
LARDER_BACKEND_TEST("http: the materialization endpoints authenticate and check as gRPC does",
                    SameChecksAsGrpc)

}  // namespace
}  // namespace larder::testing
