#include "server/api/registry_service.h"

#include <utility>

#include "server/api/grpc_status.h"

namespace larder::api {
namespace {

using registry::ListOptions;
using registry::ListPage;

// The single path every RPC takes: refuse calls whose deadline already passed (the client has
// given up, so doing the work would only load the database), run the body, convert the status.
template <typename Body>
grpc::Status Handle(grpc::ServerContext* context, Body&& body) {
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled or deadline exceeded");
  }
  return ToGrpcStatus(body());
}

// Stores `result` into `response` when OK.
template <typename Message>
absl::Status Respond(absl::StatusOr<Message> result, Message* response) {
  if (!result.ok()) return result.status();
  *response = *std::move(result);
  return absl::OkStatus();
}

template <typename Request>
ListOptions ListOptionsOf(const Request& request) {
  ListOptions options;
  options.tags = request.tags();
  options.sorting = request.sorting();
  options.pagination = request.pagination();
  return options;
}

// Moves a page into a List response: `items` is the response's repeated field.
template <typename Message, typename RepeatedField, typename Response>
absl::Status RespondPage(absl::StatusOr<ListPage<Message>> page, RepeatedField* items,
                         Response* response) {
  if (!page.ok()) return page.status();
  items->Reserve(static_cast<int>(page->items.size()));
  for (Message& m : page->items) *items->Add() = std::move(m);
  *response->mutable_pagination() = page->pagination;
  return absl::OkStatus();
}

}  // namespace

grpc::Status RegistryService::ApplyProject(grpc::ServerContext* context,
                                           const feast::registry::ApplyProjectRequest* request,
                                           google::protobuf::Empty*) {
  return Handle(context, [&] { return registry_.ApplyProject(request->project()); });
}

grpc::Status RegistryService::GetProject(grpc::ServerContext* context,
                                         const feast::registry::GetProjectRequest* request,
                                         feast::core::Project* response) {
  return Handle(context, [&] { return Respond(registry_.GetProject(request->name()), response); });
}

grpc::Status RegistryService::ListProjects(grpc::ServerContext* context,
                                           const feast::registry::ListProjectsRequest* request,
                                           feast::registry::ListProjectsResponse* response) {
  return Handle(context, [&] {
    return RespondPage(registry_.ListProjects(ListOptionsOf(*request)),
                       response->mutable_projects(), response);
  });
}

grpc::Status RegistryService::DeleteProject(grpc::ServerContext* context,
                                            const feast::registry::DeleteProjectRequest* request,
                                            google::protobuf::Empty*) {
  return Handle(context, [&] { return registry_.DeleteProject(request->name()); });
}

grpc::Status RegistryService::ApplyEntity(grpc::ServerContext* context,
                                          const feast::registry::ApplyEntityRequest* request,
                                          google::protobuf::Empty*) {
  return Handle(context,
                [&] { return registry_.ApplyEntity(request->project(), request->entity()); });
}

grpc::Status RegistryService::GetEntity(grpc::ServerContext* context,
                                        const feast::registry::GetEntityRequest* request,
                                        feast::core::Entity* response) {
  return Handle(context, [&] {
    return Respond(registry_.GetEntity(request->project(), request->name()), response);
  });
}

grpc::Status RegistryService::ListEntities(grpc::ServerContext* context,
                                           const feast::registry::ListEntitiesRequest* request,
                                           feast::registry::ListEntitiesResponse* response) {
  return Handle(context, [&] {
    return RespondPage(registry_.ListEntities(request->project(), ListOptionsOf(*request)),
                       response->mutable_entities(), response);
  });
}

grpc::Status RegistryService::DeleteEntity(grpc::ServerContext* context,
                                           const feast::registry::DeleteEntityRequest* request,
                                           google::protobuf::Empty*) {
  return Handle(context,
                [&] { return registry_.DeleteEntity(request->project(), request->name()); });
}

}  // namespace larder::api
