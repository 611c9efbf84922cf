#pragma once

#include "feast/registry/RegistryServer.grpc.pb.h"
#include "server/registry/registry.h"

namespace larder::api {

// Feast's feast.registry.RegistryServer over gRPC: decodes requests, calls the Registry, and
// converts results and errors (grpc_status.h). Each handler is one call into the shared
// Handle() helper, so deadline checks and status conversion live in one place. RPCs not yet
// implemented answer UNIMPLEMENTED (the generated base class's default).
// Thread-safe (the Registry is).
class RegistryService final : public feast::registry::RegistryServer::Service {
 public:
  // `registry` is not owned and must outlive the service.
  explicit RegistryService(registry::Registry& registry) : registry_(registry) {}

  grpc::Status ApplyProject(grpc::ServerContext* context,
                            const feast::registry::ApplyProjectRequest* request,
                            google::protobuf::Empty* response) override;
  grpc::Status GetProject(grpc::ServerContext* context,
                          const feast::registry::GetProjectRequest* request,
                          feast::core::Project* response) override;
  grpc::Status ListProjects(grpc::ServerContext* context,
                            const feast::registry::ListProjectsRequest* request,
                            feast::registry::ListProjectsResponse* response) override;
  grpc::Status DeleteProject(grpc::ServerContext* context,
                             const feast::registry::DeleteProjectRequest* request,
                             google::protobuf::Empty* response) override;

  grpc::Status ApplyEntity(grpc::ServerContext* context,
                           const feast::registry::ApplyEntityRequest* request,
                           google::protobuf::Empty* response) override;
  grpc::Status GetEntity(grpc::ServerContext* context,
                         const feast::registry::GetEntityRequest* request,
                         feast::core::Entity* response) override;
  grpc::Status ListEntities(grpc::ServerContext* context,
                            const feast::registry::ListEntitiesRequest* request,
                            feast::registry::ListEntitiesResponse* response) override;
  grpc::Status DeleteEntity(grpc::ServerContext* context,
                            const feast::registry::DeleteEntityRequest* request,
                            google::protobuf::Empty* response) override;

 private:
  registry::Registry& registry_;
};

}  // namespace larder::api
