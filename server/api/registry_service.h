#pragma once

#include <string>

#include "feast/registry/RegistryServer.grpc.pb.h"
#include "server/auth/authenticator.h"
#include "server/registry/registry.h"

namespace larder::api {

struct Call;

// Feast's feast.registry.RegistryServer over gRPC: decodes requests, calls the Registry, and
// converts results and errors (grpc_status.h). Every handler is a line or two through the shared
// Handle() helper, so deadline checks, authentication and status conversion live in one place;
// each handler makes its Feast permission check (registry/access_control.h) in one call.
// Thread-safe (the Registry and the Authenticator are).
class RegistryService final : public feast::registry::RegistryServer::Service {
 public:
  // `registry` and `authenticator` are not owned and must outlive the service. Without an
  // authenticator every call is allowed (Feast's no_auth). `default_project` is Feast's
  // configured project, whose permissions govern requests that name no project.
  explicit RegistryService(registry::Registry& registry,
                           const auth::Authenticator* authenticator = nullptr,
                           std::string default_project = "")
      : registry_(registry),
        authenticator_(authenticator),
        default_project_(std::move(default_project)) {}

  // True when calls are authenticated and checked against Feast permissions; answers must then
  // come from these handlers (RawRegistryService's stored-bytes paths check nothing).
  bool checks_access() const { return authenticator_ != nullptr; }

  grpc::Status ApplyEntity(grpc::ServerContext* context, const feast::registry::ApplyEntityRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetEntity(grpc::ServerContext* context, const feast::registry::GetEntityRequest* request,
      feast::core::Entity* response) override;
  grpc::Status ListEntities(grpc::ServerContext* context, const feast::registry::ListEntitiesRequest* request,
      feast::registry::ListEntitiesResponse* response) override;
  grpc::Status DeleteEntity(grpc::ServerContext* context, const feast::registry::DeleteEntityRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status ApplyDataSource(grpc::ServerContext* context, const feast::registry::ApplyDataSourceRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetDataSource(grpc::ServerContext* context, const feast::registry::GetDataSourceRequest* request,
      feast::core::DataSource* response) override;
  grpc::Status ListDataSources(grpc::ServerContext* context, const feast::registry::ListDataSourcesRequest* request,
      feast::registry::ListDataSourcesResponse* response) override;
  grpc::Status DeleteDataSource(grpc::ServerContext* context, const feast::registry::DeleteDataSourceRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status ApplyFeatureView(grpc::ServerContext* context, const feast::registry::ApplyFeatureViewRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status DeleteFeatureView(grpc::ServerContext* context, const feast::registry::DeleteFeatureViewRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetAnyFeatureView(grpc::ServerContext* context, const feast::registry::GetAnyFeatureViewRequest* request,
      feast::registry::GetAnyFeatureViewResponse* response) override;
  grpc::Status ListAllFeatureViews(grpc::ServerContext* context, const feast::registry::ListAllFeatureViewsRequest* request,
      feast::registry::ListAllFeatureViewsResponse* response) override;
  grpc::Status GetFeatureView(grpc::ServerContext* context, const feast::registry::GetFeatureViewRequest* request,
      feast::core::FeatureView* response) override;
  grpc::Status ListFeatureViews(grpc::ServerContext* context, const feast::registry::ListFeatureViewsRequest* request,
      feast::registry::ListFeatureViewsResponse* response) override;
  grpc::Status GetStreamFeatureView(grpc::ServerContext* context, const feast::registry::GetStreamFeatureViewRequest* request,
      feast::core::StreamFeatureView* response) override;
  grpc::Status ListStreamFeatureViews(grpc::ServerContext* context, const feast::registry::ListStreamFeatureViewsRequest* request,
      feast::registry::ListStreamFeatureViewsResponse* response) override;
  grpc::Status GetOnDemandFeatureView(grpc::ServerContext* context, const feast::registry::GetOnDemandFeatureViewRequest* request,
      feast::core::OnDemandFeatureView* response) override;
  grpc::Status ListOnDemandFeatureViews(grpc::ServerContext* context, const feast::registry::ListOnDemandFeatureViewsRequest* request,
      feast::registry::ListOnDemandFeatureViewsResponse* response) override;
  grpc::Status GetLabelView(grpc::ServerContext* context, const feast::registry::GetLabelViewRequest* request,
      feast::core::LabelView* response) override;
  grpc::Status ListLabelViews(grpc::ServerContext* context, const feast::registry::ListLabelViewsRequest* request,
      feast::registry::ListLabelViewsResponse* response) override;
  grpc::Status ApplyFeatureService(grpc::ServerContext* context, const feast::registry::ApplyFeatureServiceRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetFeatureService(grpc::ServerContext* context, const feast::registry::GetFeatureServiceRequest* request,
      feast::core::FeatureService* response) override;
  grpc::Status ListFeatureServices(grpc::ServerContext* context, const feast::registry::ListFeatureServicesRequest* request,
      feast::registry::ListFeatureServicesResponse* response) override;
  grpc::Status DeleteFeatureService(grpc::ServerContext* context, const feast::registry::DeleteFeatureServiceRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status ApplySavedDataset(grpc::ServerContext* context, const feast::registry::ApplySavedDatasetRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetSavedDataset(grpc::ServerContext* context, const feast::registry::GetSavedDatasetRequest* request,
      feast::core::SavedDataset* response) override;
  grpc::Status ListSavedDatasets(grpc::ServerContext* context, const feast::registry::ListSavedDatasetsRequest* request,
      feast::registry::ListSavedDatasetsResponse* response) override;
  grpc::Status DeleteSavedDataset(grpc::ServerContext* context, const feast::registry::DeleteSavedDatasetRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status CreateDatasetFromRetrieval(grpc::ServerContext* context, const feast::registry::CreateDatasetFromRetrievalRequest* request,
      feast::registry::CreateDatasetFromRetrievalResponse* response) override;
  grpc::Status GetDatasetData(grpc::ServerContext* context, const feast::registry::GetDatasetDataRequest* request,
      feast::registry::GetDatasetDataResponse* response) override;
  grpc::Status GetDatasetJobStatus(grpc::ServerContext* context, const feast::registry::GetDatasetJobStatusRequest* request,
      feast::registry::GetDatasetJobStatusResponse* response) override;
  grpc::Status ListDatasetJobs(grpc::ServerContext* context, const feast::registry::ListDatasetJobsRequest* request,
      feast::registry::ListDatasetJobsResponse* response) override;
  grpc::Status ApplyValidationReference(grpc::ServerContext* context, const feast::registry::ApplyValidationReferenceRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetValidationReference(grpc::ServerContext* context, const feast::registry::GetValidationReferenceRequest* request,
      feast::core::ValidationReference* response) override;
  grpc::Status ListValidationReferences(grpc::ServerContext* context, const feast::registry::ListValidationReferencesRequest* request,
      feast::registry::ListValidationReferencesResponse* response) override;
  grpc::Status DeleteValidationReference(grpc::ServerContext* context, const feast::registry::DeleteValidationReferenceRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status ApplyPermission(grpc::ServerContext* context, const feast::registry::ApplyPermissionRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetPermission(grpc::ServerContext* context, const feast::registry::GetPermissionRequest* request,
      feast::core::Permission* response) override;
  grpc::Status ListPermissions(grpc::ServerContext* context, const feast::registry::ListPermissionsRequest* request,
      feast::registry::ListPermissionsResponse* response) override;
  grpc::Status DeletePermission(grpc::ServerContext* context, const feast::registry::DeletePermissionRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status ApplyProject(grpc::ServerContext* context, const feast::registry::ApplyProjectRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetProject(grpc::ServerContext* context, const feast::registry::GetProjectRequest* request,
      feast::core::Project* response) override;
  grpc::Status ListProjects(grpc::ServerContext* context, const feast::registry::ListProjectsRequest* request,
      feast::registry::ListProjectsResponse* response) override;
  grpc::Status DeleteProject(grpc::ServerContext* context, const feast::registry::DeleteProjectRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status ApplyMaterialization(grpc::ServerContext* context, const feast::registry::ApplyMaterializationRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status ListProjectMetadata(grpc::ServerContext* context, const feast::registry::ListProjectMetadataRequest* request,
      feast::registry::ListProjectMetadataResponse* response) override;
  grpc::Status UpdateInfra(grpc::ServerContext* context, const feast::registry::UpdateInfraRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetInfra(grpc::ServerContext* context, const feast::registry::GetInfraRequest* request,
      feast::core::Infra* response) override;
  grpc::Status Commit(grpc::ServerContext* context, const google::protobuf::Empty* request,
      google::protobuf::Empty* response) override;
  grpc::Status Refresh(grpc::ServerContext* context, const feast::registry::RefreshRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status Proto(grpc::ServerContext* context, const google::protobuf::Empty* request,
      feast::core::Registry* response) override;
  grpc::Status GetRegistryLineage(grpc::ServerContext* context, const feast::registry::GetRegistryLineageRequest* request,
      feast::registry::GetRegistryLineageResponse* response) override;
  grpc::Status GetObjectRelationships(grpc::ServerContext* context, const feast::registry::GetObjectRelationshipsRequest* request,
      feast::registry::GetObjectRelationshipsResponse* response) override;
  grpc::Status ListFeatures(grpc::ServerContext* context, const feast::registry::ListFeaturesRequest* request,
      feast::registry::ListFeaturesResponse* response) override;
  grpc::Status GetFeature(grpc::ServerContext* context, const feast::registry::GetFeatureRequest* request,
      feast::registry::Feature* response) override;

 private:
  // Authenticates the caller, runs `body(const Call&)` and converts its status.
  template <typename Body>
  grpc::Status Handle(grpc::ServerContext* context, Body&& body);

  registry::Registry& registry_;
  const auth::Authenticator* const authenticator_;
  const std::string default_project_;
};

}  // namespace larder::api
