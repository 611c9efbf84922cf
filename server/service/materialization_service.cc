// The table of larder.v1.Materialization's methods.
#include "server/service/materialization_service.h"

#include <memory>
#include <utility>

#include "larder/v1/materialization.pb.h"

namespace larder::service {
namespace {

namespace v1 = ::larder::v1;
using coordinator::MaterializationCoordinator;

constexpr char kServiceName[] = "larder.v1.Materialization";

template <typename Message>
absl::StatusOr<Reply> Answer(absl::StatusOr<Message> result) {
  if (!result.ok()) return result.status();
  return Reply::Of(std::make_unique<Message>(*std::move(result)));
}

}  // namespace

MaterializationService::MaterializationService(MaterializationCoordinator& coordinator,
                                               CallRunner& runner)
    : MethodTable(runner) {
  MaterializationCoordinator& c = coordinator;
  AddMethod<v1::PlanMaterializationRequest>(
      methods_, runner_, kServiceName, "PlanMaterialization",
      [&c](const Call& call, const v1::PlanMaterializationRequest& q) {
        return Answer(c.Plan(call.write, q, call.context->request_id));
      });
  AddMethod<v1::LeaseTasksRequest>(methods_, runner_, kServiceName, "LeaseTasks",
                                   [&c](const Call& call, const v1::LeaseTasksRequest& q) {
                                     return Answer(c.Lease(call.write, q));
                                   });
  AddMethod<v1::HeartbeatRequest>(methods_, runner_, kServiceName, "Heartbeat",
                                  [&c](const Call& call, const v1::HeartbeatRequest& q) {
                                    return Answer(c.Heartbeat(call.write, q));
                                  });
  AddMethod<v1::CompleteTaskRequest>(methods_, runner_, kServiceName, "CompleteTask",
                                     [&c](const Call& call, const v1::CompleteTaskRequest& q) {
                                       return Answer(c.Complete(call.write, q));
                                     });
  AddMethod<v1::FailTaskRequest>(methods_, runner_, kServiceName, "FailTask",
                                 [&c](const Call& call, const v1::FailTaskRequest& q) {
                                   return Answer(c.Fail(call.write, q));
                                 });
  AddMethod<v1::GetJobRequest>(methods_, runner_, kServiceName, "GetJob",
                               [&c](const Call& call, const v1::GetJobRequest& q) {
                                 return Answer(c.GetJob(call.access, q));
                               });
  AddMethod<v1::ListJobsRequest>(methods_, runner_, kServiceName, "ListJobs",
                                 [&c](const Call& call, const v1::ListJobsRequest& q) {
                                   return Answer(c.ListJobs(call.access, q));
                                 });
  AddMethod<v1::CancelJobRequest>(methods_, runner_, kServiceName, "CancelJob",
                                  [&c](const Call& call, const v1::CancelJobRequest& q) {
                                    return Answer(c.Cancel(call.write, q));
                                  });
}

}  // namespace larder::service
