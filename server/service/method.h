#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "server/service/call.h"
#include "server/service/call_runner.h"
#include "server/service/reply.h"

namespace larder::service {

// One method of a service, transport-neutral: what a front end needs to route a call to it.
// Front ends register their methods from a table of these (one entry per method), so no
// front end lists the methods again.
struct Method {
  std::string service;    // full protobuf service name, e.g. "feast.registry.RegistryServer"
  std::string name;       // method name, e.g. "GetEntity"
  std::string full_name;  // "<service>/<name>"
  const google::protobuf::Descriptor* request_type = nullptr;
  // Answers a parsed request (a message of request_type). May wait on the database.
  std::function<absl::StatusOr<Reply>(const Call&, const google::protobuf::Message&)> answer;
  // Whether `answer` would answer this request from memory, without waiting on the database (a
  // cached read of an up-to-date snapshot), so a front end may run it on its I/O thread. Empty:
  // never.
  std::function<bool(const google::protobuf::Message&)> answers_from_memory;
  // A server-streaming method: `answer` is one read of the stream (for WatchChanges, what
  // follows the request's after_revision); the front end calls it again as the stream goes on.
  bool server_streaming = false;
  // This method's counters in the runner's CallStats.
  CallStats::Counters* counters = nullptr;
  // The request's string `project` field, when it has one (named in the call log).
  const google::protobuf::FieldDescriptor* project_field = nullptr;

  std::unique_ptr<google::protobuf::Message> NewRequest() const;
};

// Appends to `methods` the method `service`/`name` answered by `answer(call, request)`, whose
// requests are `Request` messages; `from_memory`, when given, says whether a request can be
// answered without waiting on the database. Registers its counters in `runner.stats()`.
template <typename Request, typename Answer>
void AddMethod(std::vector<Method>& methods, CallRunner& runner, absl::string_view service,
               absl::string_view name, Answer answer,
               std::function<bool(const Request&)> from_memory = nullptr) {
  Method& method = methods.emplace_back();
  method.service = std::string(service);
  method.name = std::string(name);
  method.full_name = method.service + "/" + method.name;
  method.request_type = Request::descriptor();
  method.answer = [answer = std::move(answer)](const Call& call,
                                               const google::protobuf::Message& request) {
    return answer(call, static_cast<const Request&>(request));
  };
  if (from_memory) {
    method.answers_from_memory =
        [from_memory = std::move(from_memory)](const google::protobuf::Message& request) {
          return from_memory(static_cast<const Request&>(request));
        };
  }
  method.counters = &runner.stats().Register(method.full_name);
  const google::protobuf::FieldDescriptor* project =
      method.request_type->FindFieldByName("project");
  if (project != nullptr && project->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
      !project->is_repeated()) {
    method.project_field = project;
  }
}

// The methods of one service as the service layer serves them, and the runner they go through:
// what a front end routes calls with. Services fill `methods_` in their constructor.
class MethodTable {
 public:
  MethodTable(const MethodTable&) = delete;
  MethodTable& operator=(const MethodTable&) = delete;

  // One entry per method of the service's proto (checked by tests/unit/service_test.cc).
  const std::vector<Method>& methods() const { return methods_; }
  // The entry for `name` (e.g. "GetEntity"), or nullptr.
  const Method* Find(absl::string_view name) const;
  const CallRunner& runner() const { return runner_; }

 protected:
  // `runner` is not owned and must outlive the table.
  explicit MethodTable(CallRunner& runner) : runner_(runner) {}

  CallRunner& runner_;
  std::vector<Method> methods_;
};

// The project `request` (a request of `method`) names, or "" when it names none.
std::string ProjectOf(const Method& method, const google::protobuf::Message& request);

// Runs `method` for `request` through `runner` (the one Run path).
absl::StatusOr<Reply> Invoke(const CallRunner& runner, const Method& method,
                             const CallContext& context, const google::protobuf::Message& request);

}  // namespace larder::service
