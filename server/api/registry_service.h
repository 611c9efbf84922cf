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
class RegistryService final {
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

  grpc::Status ApplyEntity(grpc::ServerContextBase* context, const feast::registry::ApplyEntityRequest* request,
      google::protobuf::Empty* response);
  grpc::Status GetEntity(grpc::ServerContextBase* context, const feast::registry::GetEntityRequest* request,
      feast::core::Entity* response);
  grpc::Status ListEntities(grpc::ServerContextBase* context, const feast::registry::ListEntitiesRequest* request,
      feast::registry::ListEntitiesResponse* response);
  grpc::Status DeleteEntity(grpc::ServerContextBase* context, const feast::registry::DeleteEntityRequest* request,
      google::protobuf::Empty* response);
  grpc::Status ApplyDataSource(grpc::ServerContextBase* context, const feast::registry::ApplyDataSourceRequest* request,
      google::protobuf::Empty* response);
  grpc::Status GetDataSource(grpc::ServerContextBase* context, const feast::registry::GetDataSourceRequest* request,
      feast::core::DataSource* response);
  grpc::Status ListDataSources(grpc::ServerContextBase* context, const feast::registry::ListDataSourcesRequest* request,
      feast::registry::ListDataSourcesResponse* response);
  grpc::Status DeleteDataSource(grpc::ServerContextBase* context, const feast::registry::DeleteDataSourceRequest* request,
      google::protobuf::Empty* response);
  grpc::Status ApplyFeatureView(grpc::ServerContextBase* context, const feast::registry::ApplyFeatureViewRequest* request,
      google::protobuf::Empty* response);
  grpc::Status DeleteFeatureView(grpc::ServerContextBase* context, const feast::registry::DeleteFeatureViewRequest* request,
      google::protobuf::Empty* response);
  grpc::Status GetAnyFeatureView(grpc::ServerContextBase* context, const feast::registry::GetAnyFeatureViewRequest* request,
      feast::registry::GetAnyFeatureViewResponse* response);
  grpc::Status ListAllFeatureViews(grpc::ServerContextBase* context, const feast::registry::ListAllFeatureViewsRequest* request,
      feast::registry::ListAllFeatureViewsResponse* response);
  grpc::Status GetFeatureView(grpc::ServerContextBase* context, const feast::registry::GetFeatureViewRequest* request,
      feast::core::FeatureView* response);
  grpc::Status ListFeatureViews(grpc::ServerContextBase* context, const feast::registry::ListFeatureViewsRequest* request,
      feast::registry::ListFeatureViewsResponse* response);
  grpc::Status GetStreamFeatureView(grpc::ServerContextBase* context, const feast::registry::GetStreamFeatureViewRequest* request,
      feast::core::StreamFeatureView* response);
  grpc::Status ListStreamFeatureViews(grpc::ServerContextBase* context, const feast::registry::ListStreamFeatureViewsRequest* request,
      feast::registry::ListStreamFeatureViewsResponse* response);
  grpc::Status GetOnDemandFeatureView(grpc::ServerContextBase* context, const feast::registry::GetOnDemandFeatureViewRequest* request,
      feast::core::OnDemandFeatureView* response);
  grpc::Status ListOnDemandFeatureViews(grpc::ServerContextBase* context, const feast::registry::ListOnDemandFeatureViewsRequest* request,
      feast::registry::ListOnDemandFeatureViewsResponse* response);
  grpc::Status GetLabelView(grpc::ServerContextBase* context, const feast::registry::GetLabelViewRequest* request,
      feast::core::LabelView* response);
  grpc::Status ListLabelViews(grpc::ServerContextBase* context, const feast::registry::ListLabelViewsRequest* request,
      feast::registry::ListLabelViewsResponse* response);
  grpc::Status ApplyFeatureService(grpc::ServerContextBase* context, const feast::registry::ApplyFeatureServiceRequest* request,
      google::protobuf::Empty* response);
  grpc::Status GetFeatureService(grpc::ServerContextBase* context, const feast::registry::GetFeatureServiceRequest* request,
      feast::core::FeatureService* response);
  grpc::Status ListFeatureServices(grpc::ServerContextBase* context, const feast::registry::ListFeatureServicesRequest* request,
      feast::registry::ListFeatureServicesResponse* response);
  grpc::Status DeleteFeatureService(grpc::ServerContextBase* context, const feast::registry::DeleteFeatureServiceRequest* request,
      google::protobuf::Empty* response);
  grpc::Status ApplySavedDataset(grpc::ServerContextBase* context, const feast::registry::ApplySavedDatasetRequest* request,
      google::protobuf::Empty* response);
  grpc::Status GetSavedDataset(grpc::ServerContextBase* context, const feast::registry::GetSavedDatasetRequest* request,
      feast::core::SavedDataset* response);
  grpc::Status ListSavedDatasets(grpc::ServerContextBase* context, const feast::registry::ListSavedDatasetsRequest* request,
      feast::registry::ListSavedDatasetsResponse* response);
  grpc::Status DeleteSavedDataset(grpc::ServerContextBase* context, const feast::registry::DeleteSavedDatasetRequest* request,
      google::protobuf::Empty* response);
  grpc::Status CreateDatasetFromRetrieval(grpc::ServerContextBase* context, const feast::registry::CreateDatasetFromRetrievalRequest* request,
      feast::registry::CreateDatasetFromRetrievalResponse* response);
  grpc::Status GetDatasetData(grpc::ServerContextBase* context, const feast::registry::GetDatasetDataRequest* request,
      feast::registry::GetDatasetDataResponse* response);
  grpc::Status GetDatasetJobStatus(grpc::ServerContextBase* context, const feast::registry::GetDatasetJobStatusRequest* request,
      feast::registry::GetDatasetJobStatusResponse* response);
  grpc::Status ListDatasetJobs(grpc::ServerContextBase* context, const feast::registry::ListDatasetJobsRequest* request,
      feast::registry::ListDatasetJobsResponse* response);
  grpc::Status ApplyValidationReference(grpc::ServerContextBase* context, const feast::registry::ApplyValidationReferenceRequest* request,
      google::protobuf::Empty* response);
  grpc::Status GetValidationReference(grpc::ServerContextBase* context, const feast::registry::GetValidationReferenceRequest* request,
      feast::core::ValidationReference* response);
  grpc::Status ListValidationReferences(grpc::ServerContextBase* context, const feast::registry::ListValidationReferencesRequest* request,
      feast::registry::ListValidationReferencesResponse* response);
  grpc::Status DeleteValidationReference(grpc::ServerContextBase* context, const feast::registry::DeleteValidationReferenceRequest* request,
      google::protobuf::Empty* response);
  grpc::Status ApplyPermission(grpc::ServerContextBase* context, const feast::registry::ApplyPermissionRequest* request,
      google::protobuf::Empty* response);
  grpc::Status GetPermission(grpc::ServerContextBase* context, const feast::registry::GetPermissionRequest* request,
      feast::core::Permission* response);
  grpc::Status ListPermissions(grpc::ServerContextBase* context, const feast::registry::ListPermissionsRequest* request,
      feast::registry::ListPermissionsResponse* response);
  grpc::Status DeletePermission(grpc::ServerContextBase* context, const feast::registry::DeletePermissionRequest* request,
      google::protobuf::Empty* response);
  grpc::Status ApplyProject(grpc::ServerContextBase* context, const feast::registry::ApplyProjectRequest* request,
      google::protobuf::Empty* response);
  grpc::Status GetProject(grpc::ServerContextBase* context, const feast::registry::GetProjectRequest* request,
      feast::core::Project* response);
  grpc::Status ListProjects(grpc::ServerContextBase* context, const feast::registry::ListProjectsRequest* request,
      feast::registry::ListProjectsResponse* response);
  grpc::Status DeleteProject(grpc::ServerContextBase* context, const feast::registry::DeleteProjectRequest* request,
      google::protobuf::Empty* response);
  grpc::Status ApplyMaterialization(grpc::ServerContextBase* context, const feast::registry::ApplyMaterializationRequest* request,
      google::protobuf::Empty* response);
  grpc::Status ListProjectMetadata(grpc::ServerContextBase* context, const feast::registry::ListProjectMetadataRequest* request,
      feast::registry::ListProjectMetadataResponse* response);
  grpc::Status UpdateInfra(grpc::ServerContextBase* context, const feast::registry::UpdateInfraRequest* request,
      google::protobuf::Empty* response);
  grpc::Status GetInfra(grpc::ServerContextBase* context, const feast::registry::GetInfraRequest* request,
      feast::core::Infra* response);
  grpc::Status Commit(grpc::ServerContextBase* context, const google::protobuf::Empty* request,
      google::protobuf::Empty* response);
  grpc::Status Refresh(grpc::ServerContextBase* context, const feast::registry::RefreshRequest* request,
      google::protobuf::Empty* response);
  grpc::Status Proto(grpc::ServerContextBase* context, const google::protobuf::Empty* request,
      feast::core::Registry* response);
  grpc::Status GetRegistryLineage(grpc::ServerContextBase* context, const feast::registry::GetRegistryLineageRequest* request,
      feast::registry::GetRegistryLineageResponse* response);
  grpc::Status GetObjectRelationships(grpc::ServerContextBase* context, const feast::registry::GetObjectRelationshipsRequest* request,
      feast::registry::GetObjectRelationshipsResponse* response);
  grpc::Status ListFeatures(grpc::ServerContextBase* context, const feast::registry::ListFeaturesRequest* request,
      feast::registry::ListFeaturesResponse* response);
  grpc::Status GetFeature(grpc::ServerContextBase* context, const feast::registry::GetFeatureRequest* request,
      feast::registry::Feature* response);

 private:
  // Authenticates the caller, runs `body(const Call&)` and converts its status.
  template <typename Body>
  grpc::Status Handle(grpc::ServerContextBase* context, Body&& body);

  registry::Registry& registry_;
  const auth::Authenticator* const authenticator_;
  const std::string default_project_;
};

}  // namespace larder::api
