#include "server/api/registry_service.h"

#include <utility>

#include "server/api/handle.h"
#include "server/registry/access_control.h"
#include "server/registry/feast_errors.h"
#include "server/registry/feature_listing.h"
#include "server/registry/lineage.h"

namespace larder::api {
namespace {

using google::protobuf::Empty;
using registry::ListOptions;
using registry::ListPage;
constexpr auto kDescribe = feast::core::PermissionSpec::DESCRIBE;
namespace core = feast::core;
namespace reg = feast::registry;

// The metadata key Larder's client sends its per-request id under (kept across retries).
constexpr char kRequestIdKey[] = "x-larder-request-id";
// Feast's client sends `authorization: Bearer <token>`; gRPC lower-cases metadata keys.
constexpr char kAuthorizationKey[] = "authorization";

absl::string_view MetadataValue(const grpc::ServerContextBase* context, const char* key) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

}  // namespace

// Who is calling, what Feast's permissions let them do, and how their writes are recorded.
struct Call {
  registry::Access access;
  registry::WriteOptions write;
};

// Every RPC's path: the shared deadline check and status conversion (handle.h), with the caller
// authenticated first when auth is on.
template <typename Body>
grpc::Status RegistryService::Handle(grpc::ServerContextBase* context, Body&& body) {
  return api::Handle(context, [&]() -> absl::Status {
    Call call;
    call.write.request_id = std::string(MetadataValue(context, kRequestIdKey).substr(0, 64));
    if (authenticator_ != nullptr) {
      absl::StatusOr<auth::User> user =
          authenticator_->Authenticate(MetadataValue(context, kAuthorizationKey));
      if (!user.ok()) return user.status();
      call.write.actor = user->username;
      call.access = registry::Access(registry_, *std::move(user), default_project_);
    }
    return body(std::as_const(call));
  });
}

namespace {

// Stores `result` into `response` when OK.
template <typename Message>
absl::Status Respond(absl::StatusOr<Message> result, Message* response) {
  if (!result.ok()) return result.status();
  *response = *std::move(result);
  return absl::OkStatus();
}

// Tags, sorting and pagination of any List request that has them all.
template <typename Request>
ListOptions ListOptionsOf(const Request& request) {
  ListOptions options;
  options.tags = request.tags();
  options.sorting = request.sorting();
  options.pagination = request.pagination();
  return options;
}

// Sorting and pagination only (lineage and feature listing have no tag filter).
template <typename Request>
ListOptions PagingOf(const Request& request) {
  ListOptions options;
  options.sorting = request.sorting();
  options.pagination = request.pagination();
  return options;
}

// Moves a page into a List response: `items` is the response's repeated field, `pagination`
// its metadata field.
template <typename Message, typename RepeatedField>
absl::Status FillPage(ListPage<Message> page, RepeatedField* items,
                      reg::PaginationMetadata* pagination) {
  items->Reserve(static_cast<int>(page.items.size()));
  for (Message& m : page.items) *items->Add() = std::move(m);
  *pagination = std::move(page.pagination);
  return absl::OkStatus();
}

template <typename Message, typename RepeatedField, typename Response>
absl::Status RespondPage(absl::StatusOr<ListPage<Message>> page, RepeatedField* items,
                         Response* response) {
  if (!page.ok()) return page.status();
  return FillPage(*std::move(page), items, response->mutable_pagination());
}

// Apply/Get/List/Delete of the simple kinds, whose requests all look alike, each with its
// permission check (spec §3.9): create-or-update before an apply, DESCRIBE after a fetch, the
// DESCRIBE filter under a list, DELETE after a fetch.
template <typename Message>
absl::Status ApplyObject(registry::Registry& r, const Call& call, absl::string_view project,
                         const Message& object) {
  if (absl::Status s = call.access.RequireApply(project, object); !s.ok()) return s;
  return r.Apply(project, object, call.write);
}

template <typename Message, typename Request>
absl::Status GetObject(registry::Registry& r, const Call& call, const Request& request,
                       Message* response) {
  absl::StatusOr<Message> got =
      r.Get<Message>(request.project(), request.name(), request.allow_cache());
  if (!got.ok()) return got.status();
  if (absl::Status s = call.access.Require(request.project(), *got, {kDescribe}); !s.ok()) {
    return s;
  }
  *response = *std::move(got);
  return absl::OkStatus();
}

template <typename Message, typename Request, typename RepeatedField, typename Response>
absl::Status ListObjects(registry::Registry& r, const Call& call, const Request& request,
                         RepeatedField* items, Response* response,
                         const std::function<bool(const Message&)>& keep = {}) {
  absl::StatusOr<registry::Visibility> visible = call.access.Visible(request.project());
  if (!visible.ok()) return visible.status();
  absl::StatusOr<ListPage<Message>> page =
      r.List<Message>(request.project(), ListOptionsOf(request), request.allow_cache(),
                      [&](const Message& m) { return (!keep || keep(m)) && (*visible)(m); });
  if (!visible->status().ok()) return visible->status();
  return RespondPage(std::move(page), items, response);
}

template <typename Message, typename Request>
absl::Status DeleteObject(registry::Registry& r, const Call& call, const Request& request) {
  absl::Status allowed = call.access.RequireDelete<Message>(request.project(), request.name());
  if (!allowed.ok()) return allowed;
  return r.Delete<Message>(request.project(), request.name(), call.write);
}

// The views a feature listing may look at: those the caller may DESCRIBE.
absl::StatusOr<registry::ProjectObjects> VisibleObjects(registry::Registry& r, const Call& call,
                                                        absl::string_view project,
                                                        bool allow_cache) {
  absl::StatusOr<registry::ProjectObjects> objects = r.LoadProjectObjects(project, allow_cache);
  if (!objects.ok()) return objects;
  absl::StatusOr<registry::Visibility> visible = call.access.Visible(project);
  if (!visible.ok()) return visible.status();
  auto keep_visible = [&](auto& list) {
    std::erase_if(list, [&](const auto& view) { return !(*visible)(view); });
  };
  keep_visible(objects->feature_views);
  keep_visible(objects->stream_feature_views);
  keep_visible(objects->on_demand_feature_views);
  keep_visible(objects->label_views);
  if (!visible->status().ok()) return visible->status();
  return objects;
}

}  // namespace

// --- Entities
grpc::Status RegistryService::ApplyEntity(grpc::ServerContextBase* c, const reg::ApplyEntityRequest* q,
                                          Empty*) {
  return Handle(c, [&](const Call& call) { return ApplyObject(registry_, call, q->project(), q->entity()); });
}
grpc::Status RegistryService::GetEntity(grpc::ServerContextBase* c, const reg::GetEntityRequest* q,
                                        core::Entity* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListEntities(grpc::ServerContextBase* c,
                                           const reg::ListEntitiesRequest* q,
                                           reg::ListEntitiesResponse* r) {
  return Handle(c, [&](const Call& call) { return ListObjects<core::Entity>(registry_, call, *q, r->mutable_entities(), r); });
}
grpc::Status RegistryService::DeleteEntity(grpc::ServerContextBase* c,
                                           const reg::DeleteEntityRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) { return DeleteObject<core::Entity>(registry_, call, *q); });
}

// --- Data sources
grpc::Status RegistryService::ApplyDataSource(grpc::ServerContextBase* c,
                                              const reg::ApplyDataSourceRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) { return ApplyObject(registry_, call, q->project(), q->data_source()); });
}
grpc::Status RegistryService::GetDataSource(grpc::ServerContextBase* c,
                                            const reg::GetDataSourceRequest* q,
                                            core::DataSource* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListDataSources(grpc::ServerContextBase* c,
                                              const reg::ListDataSourcesRequest* q,
                                              reg::ListDataSourcesResponse* r) {
  return Handle(c, [&](const Call& call) {
    return ListObjects<core::DataSource>(registry_, call, *q, r->mutable_data_sources(), r);
  });
}
grpc::Status RegistryService::DeleteDataSource(grpc::ServerContextBase* c,
                                               const reg::DeleteDataSourceRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) { return DeleteObject<core::DataSource>(registry_, call, *q); });
}

// --- Feature views of every kind
grpc::Status RegistryService::ApplyFeatureView(grpc::ServerContextBase* c,
                                               const reg::ApplyFeatureViewRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    switch (q->base_feature_view_case()) {
      case reg::ApplyFeatureViewRequest::kFeatureView:
        return ApplyObject(registry_, call, q->project(), q->feature_view());
      case reg::ApplyFeatureViewRequest::kOnDemandFeatureView:
        return ApplyObject(registry_, call, q->project(), q->on_demand_feature_view());
      case reg::ApplyFeatureViewRequest::kStreamFeatureView:
        return ApplyObject(registry_, call, q->project(), q->stream_feature_view());
      case reg::ApplyFeatureViewRequest::kLabelView:
        return ApplyObject(registry_, call, q->project(), q->label_view());
      default:
        return absl::InvalidArgumentError("ApplyFeatureViewRequest carries no feature view");
    }
  });
}
grpc::Status RegistryService::DeleteFeatureView(grpc::ServerContextBase* c,
                                                const reg::DeleteFeatureViewRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.RequireDeleteFeatureView(q->project(), q->name()); !s.ok()) return s;
    return registry_.DeleteFeatureView(q->project(), q->name(), call.write);
  });
}
grpc::Status RegistryService::GetAnyFeatureView(grpc::ServerContextBase* c,
                                                const reg::GetAnyFeatureViewRequest* q,
                                                reg::GetAnyFeatureViewResponse* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    absl::StatusOr<reg::AnyFeatureView> view =
        registry_.GetAnyFeatureView(q->project(), q->name(), q->allow_cache());
    if (!view.ok()) return view.status();
    if (auto s = call.access.Require(q->project(), *view, {kDescribe}); !s.ok()) return s;
    return Respond(std::move(view), r->mutable_any_feature_view());
  });
}
grpc::Status RegistryService::ListAllFeatureViews(grpc::ServerContextBase* c,
                                                  const reg::ListAllFeatureViewsRequest* q,
                                                  reg::ListAllFeatureViewsResponse* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    registry::FeatureViewFilters filters{q->entity(), q->feature(), q->feature_service(),
                                         q->data_source(), std::nullopt};
    if (q->has_updated_since()) filters.updated_since = q->updated_since();
    if (!q->feature_service().empty() && call.access.user() != nullptr) {
      // Feast answers a feature service the caller may not see like a missing one: empty.
      absl::StatusOr<core::FeatureService> service = registry_.Get<core::FeatureService>(
          q->project(), q->feature_service(), q->allow_cache());
      if (!service.ok() && !absl::IsNotFound(service.status())) return service.status();
      if (!service.ok() || !call.access.Require(q->project(), *service, {kDescribe}).ok()) {
        return FillPage(ListPage<reg::AnyFeatureView>(), r->mutable_feature_views(),
                        r->mutable_pagination());
      }
    }
    absl::StatusOr<registry::Visibility> visible = call.access.Visible(q->project());
    if (!visible.ok()) return visible.status();
    auto page = registry_.ListAllFeatureViews(q->project(), filters, ListOptionsOf(*q),
                                              q->allow_cache(), std::ref(*visible));
    if (!visible->status().ok()) return visible->status();
    return RespondPage(std::move(page), r->mutable_feature_views(), r);
  });
}
grpc::Status RegistryService::GetFeatureView(grpc::ServerContextBase* c,
                                             const reg::GetFeatureViewRequest* q,
                                             core::FeatureView* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListFeatureViews(grpc::ServerContextBase* c,
                                               const reg::ListFeatureViewsRequest* q,
                                               reg::ListFeatureViewsResponse* r) {
  return Handle(c, [&](const Call& call) {
    return ListObjects<core::FeatureView>(registry_, call, *q, r->mutable_feature_views(), r);
  });
}
grpc::Status RegistryService::GetStreamFeatureView(grpc::ServerContextBase* c,
                                                   const reg::GetStreamFeatureViewRequest* q,
                                                   core::StreamFeatureView* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListStreamFeatureViews(grpc::ServerContextBase* c,
                                                     const reg::ListStreamFeatureViewsRequest* q,
                                                     reg::ListStreamFeatureViewsResponse* r) {
  return Handle(c, [&](const Call& call) {
    return ListObjects<core::StreamFeatureView>(registry_, call, *q, r->mutable_stream_feature_views(),
                                                r);
  });
}
grpc::Status RegistryService::GetOnDemandFeatureView(grpc::ServerContextBase* c,
                                                     const reg::GetOnDemandFeatureViewRequest* q,
                                                     core::OnDemandFeatureView* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListOnDemandFeatureViews(
    grpc::ServerContextBase* c, const reg::ListOnDemandFeatureViewsRequest* q,
    reg::ListOnDemandFeatureViewsResponse* r) {
  return Handle(c, [&](const Call& call) {
    return ListObjects<core::OnDemandFeatureView>(registry_, call, *q,
                                                  r->mutable_on_demand_feature_views(), r);
  });
}
grpc::Status RegistryService::GetLabelView(grpc::ServerContextBase* c,
                                           const reg::GetLabelViewRequest* q, core::LabelView* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListLabelViews(grpc::ServerContextBase* c,
                                             const reg::ListLabelViewsRequest* q,
                                             reg::ListLabelViewsResponse* r) {
  return Handle(c, [&](const Call& call) {
    return ListObjects<core::LabelView>(registry_, call, *q, r->mutable_label_views(), r);
  });
}

// --- Feature services
grpc::Status RegistryService::ApplyFeatureService(grpc::ServerContextBase* c,
                                                  const reg::ApplyFeatureServiceRequest* q,
                                                  Empty*) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.RequireApply(q->project(), q->feature_service()); !s.ok()) return s;
    return registry_.ApplyFeatureService(q->project(), q->feature_service(), call.write);
  });
}
grpc::Status RegistryService::GetFeatureService(grpc::ServerContextBase* c,
                                                const reg::GetFeatureServiceRequest* q,
                                                core::FeatureService* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListFeatureServices(grpc::ServerContextBase* c,
                                                  const reg::ListFeatureServicesRequest* q,
                                                  reg::ListFeatureServicesResponse* r) {
  return Handle(c, [&](const Call& call) {
    std::function<bool(const core::FeatureService&)> uses_view;
    if (!q->feature_view().empty()) {
      uses_view = [&](const core::FeatureService& service) {
        for (const auto& projection : service.spec().features()) {
          if (projection.feature_view_name() == q->feature_view()) return true;
        }
        return false;
      };
    }
    return ListObjects<core::FeatureService>(registry_, call, *q, r->mutable_feature_services(), r,
                                             uses_view);
  });
}
grpc::Status RegistryService::DeleteFeatureService(grpc::ServerContextBase* c,
                                                   const reg::DeleteFeatureServiceRequest* q,
                                                   Empty*) {
  return Handle(c, [&](const Call& call) { return DeleteObject<core::FeatureService>(registry_, call, *q); });
}

// --- Saved datasets
grpc::Status RegistryService::ApplySavedDataset(grpc::ServerContextBase* c,
                                                const reg::ApplySavedDatasetRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) { return ApplyObject(registry_, call, q->project(), q->saved_dataset()); });
}
grpc::Status RegistryService::GetSavedDataset(grpc::ServerContextBase* c,
                                              const reg::GetSavedDatasetRequest* q,
                                              core::SavedDataset* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListSavedDatasets(grpc::ServerContextBase* c,
                                                const reg::ListSavedDatasetsRequest* q,
                                                reg::ListSavedDatasetsResponse* r) {
  return Handle(c, [&](const Call& call) {
    std::function<bool(const core::SavedDataset&)> in_scope;
    if (!q->namespace_().empty() || !q->collection().empty()) {
      in_scope = [&](const core::SavedDataset& d) {
        return (q->namespace_().empty() || d.spec().namespace_() == q->namespace_()) &&
               (q->collection().empty() || d.spec().collection() == q->collection());
      };
    }
    return ListObjects<core::SavedDataset>(registry_, call, *q, r->mutable_saved_datasets(), r,
                                           in_scope);
  });
}
grpc::Status RegistryService::DeleteSavedDataset(grpc::ServerContextBase* c,
                                                 const reg::DeleteSavedDatasetRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) { return DeleteObject<core::SavedDataset>(registry_, call, *q); });
}

// --- Dataset jobs need an offline store, which a registry server does not have.
grpc::Status RegistryService::CreateDatasetFromRetrieval(
    grpc::ServerContextBase* c, const reg::CreateDatasetFromRetrievalRequest*,
    reg::CreateDatasetFromRetrievalResponse*) {
  return Handle(c, [](const Call&) {
    return absl::UnimplementedError(
        "CreateDatasetFromRetrieval needs a Feast offline store; Larder is a registry server "
        "only. Run the retrieval with the Feast SDK and apply the saved dataset.");
  });
}
grpc::Status RegistryService::GetDatasetData(grpc::ServerContextBase* c,
                                             const reg::GetDatasetDataRequest*,
                                             reg::GetDatasetDataResponse*) {
  return Handle(c, [](const Call&) {
    return absl::UnimplementedError(
        "GetDatasetData needs a Feast offline store; Larder is a registry server only.");
  });
}
grpc::Status RegistryService::GetDatasetJobStatus(grpc::ServerContextBase* c,
                                                  const reg::GetDatasetJobStatusRequest* q,
                                                  reg::GetDatasetJobStatusResponse*) {
  // Larder never runs dataset jobs, so no job id is known.
  return Handle(c, [&](const Call&) {
    return registry::FeastObjectNotFound(absl::StrCat("Dataset job '", q->job_id(), "' not found"));
  });
}
grpc::Status RegistryService::ListDatasetJobs(grpc::ServerContextBase* c,
                                              const reg::ListDatasetJobsRequest*,
                                              reg::ListDatasetJobsResponse*) {
  return Handle(c, [](const Call&) { return absl::OkStatus(); });
}

// --- Validation references
grpc::Status RegistryService::ApplyValidationReference(
    grpc::ServerContextBase* c, const reg::ApplyValidationReferenceRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) { return ApplyObject(registry_, call, q->project(), q->validation_reference()); });
}
grpc::Status RegistryService::GetValidationReference(grpc::ServerContextBase* c,
                                                     const reg::GetValidationReferenceRequest* q,
                                                     core::ValidationReference* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListValidationReferences(
    grpc::ServerContextBase* c, const reg::ListValidationReferencesRequest* q,
    reg::ListValidationReferencesResponse* r) {
  return Handle(c, [&](const Call& call) {
    return ListObjects<core::ValidationReference>(registry_, call, *q,
                                                  r->mutable_validation_references(), r);
  });
}
grpc::Status RegistryService::DeleteValidationReference(
    grpc::ServerContextBase* c, const reg::DeleteValidationReferenceRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) {
    return DeleteObject<core::ValidationReference>(registry_, call, *q);
  });
}

// --- Permissions
grpc::Status RegistryService::ApplyPermission(grpc::ServerContextBase* c,
                                              const reg::ApplyPermissionRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) { return ApplyObject(registry_, call, q->project(), q->permission()); });
}
grpc::Status RegistryService::GetPermission(grpc::ServerContextBase* c,
                                            const reg::GetPermissionRequest* q,
                                            core::Permission* r) {
  return Handle(c, [&](const Call& call) { return GetObject(registry_, call, *q, r); });
}
grpc::Status RegistryService::ListPermissions(grpc::ServerContextBase* c,
                                              const reg::ListPermissionsRequest* q,
                                              reg::ListPermissionsResponse* r) {
  return Handle(c, [&](const Call& call) {
    return ListObjects<core::Permission>(registry_, call, *q, r->mutable_permissions(), r);
  });
}
grpc::Status RegistryService::DeletePermission(grpc::ServerContextBase* c,
                                               const reg::DeletePermissionRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) { return DeleteObject<core::Permission>(registry_, call, *q); });
}

// --- Projects
grpc::Status RegistryService::ApplyProject(grpc::ServerContextBase* c,
                                           const reg::ApplyProjectRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.RequireApply(q->project()); !s.ok()) return s;
    return registry_.ApplyProject(q->project(), call.write);
  });
}
grpc::Status RegistryService::GetProject(grpc::ServerContextBase* c, const reg::GetProjectRequest* q,
                                         core::Project* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    absl::StatusOr<core::Project> project = registry_.GetProject(q->name(), q->allow_cache());
    if (!project.ok()) return project.status();
    // GetProjectRequest names no project to take permissions from: the default project's.
    if (auto s = call.access.Require("", *project, {kDescribe}); !s.ok()) return s;
    return Respond(std::move(project), r);
  });
}
grpc::Status RegistryService::ListProjects(grpc::ServerContextBase* c,
                                           const reg::ListProjectsRequest* q,
                                           reg::ListProjectsResponse* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    absl::StatusOr<registry::Visibility> visible = call.access.Visible("");
    if (!visible.ok()) return visible.status();
    auto page = registry_.ListProjects(ListOptionsOf(*q), q->allow_cache(), std::ref(*visible));
    if (!visible->status().ok()) return visible->status();
    return RespondPage(std::move(page), r->mutable_projects(), r);
  });
}
grpc::Status RegistryService::DeleteProject(grpc::ServerContextBase* c,
                                            const reg::DeleteProjectRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.RequireDeleteProject(q->name()); !s.ok()) return s;
    return registry_.DeleteProject(q->name(), call.write);
  });
}

// --- Materialization, metadata, infra, commit, refresh, proto
grpc::Status RegistryService::ApplyMaterialization(grpc::ServerContextBase* c,
                                                   const reg::ApplyMaterializationRequest* q,
                                                   Empty*) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.Require(q->project(), q->feature_view(),
                                     {core::PermissionSpec::WRITE_ONLINE});
        !s.ok()) {
      return s;
    }
    return registry_.ApplyMaterialization(q->project(), q->feature_view().spec().name(),
                                          q->start_date(), q->end_date(), call.write);
  });
}
grpc::Status RegistryService::ListProjectMetadata(grpc::ServerContextBase* c,
                                                  const reg::ListProjectMetadataRequest* q,
                                                  reg::ListProjectMetadataResponse* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.RequireDescribeProject(q->project(), false); !s.ok()) return s;
    absl::StatusOr<std::vector<core::ProjectMetadata>> metadata =
        registry_.ListProjectMetadata(q->project());
    if (!metadata.ok()) return metadata.status();
    for (core::ProjectMetadata& m : *metadata) *r->add_project_metadata() = std::move(m);
    return absl::OkStatus();
  });
}
grpc::Status RegistryService::UpdateInfra(grpc::ServerContextBase* c,
                                          const reg::UpdateInfraRequest* q, Empty*) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.RequireApplyProject(q->project()); !s.ok()) return s;
    return registry_.UpdateInfra(q->project(), q->infra(), call.write);
  });
}
grpc::Status RegistryService::GetInfra(grpc::ServerContextBase* c, const reg::GetInfraRequest* q,
                                       core::Infra* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.RequireDescribeProject(q->project(), true); !s.ok()) return s;
    return Respond(registry_.GetInfra(q->project()), r);
  });
}
grpc::Status RegistryService::Commit(grpc::ServerContextBase* c, const Empty*, Empty*) {
  // Every write already committed in its own transaction; there is nothing buffered.
  return Handle(c, [](const Call& call) { return call.access.RequireCommit(); });
}
grpc::Status RegistryService::Refresh(grpc::ServerContextBase* c, const reg::RefreshRequest* q,
                                      Empty*) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.RequireApplyProject(q->project()); !s.ok()) return s;
    return registry_.Refresh();
  });
}
grpc::Status RegistryService::Proto(grpc::ServerContextBase* c, const Empty*, core::Registry* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    absl::StatusOr<std::shared_ptr<const registry::Snapshot>> snapshot = registry_.ProtoSnapshot();
    if (!snapshot.ok()) return snapshot.status();
    // The server answers Proto() with the assembled bytes as they are (RawRegistryService); this
    // typed form serves calls that need the objects, e.g. to filter them by permission.
    if (!r->ParseFromString(*(*snapshot)->RegistryBytes())) {
      return absl::InternalError("the assembled registry does not parse");
    }
    return call.access.FilterRegistry(*r);
  });
}

// --- Lineage
grpc::Status RegistryService::GetRegistryLineage(grpc::ServerContextBase* c,
                                                 const reg::GetRegistryLineageRequest* q,
                                                 reg::GetRegistryLineageResponse* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (auto s = call.access.RequireDescribeProject(q->project(), false); !s.ok()) return s;
    absl::StatusOr<registry::ProjectObjects> objects =
        registry_.LoadProjectObjects(q->project(), q->allow_cache());
    if (!objects.ok()) return objects.status();
    registry::Lineage lineage = registry::ComputeLineage(*objects);
    if (!q->filter_object_type().empty() && !q->filter_object_name().empty()) {
      for (auto* list : {&lineage.direct, &lineage.indirect}) {
        std::erase_if(*list, [&](const reg::EntityRelation& relation) {
          return !registry::RelationTouches(relation, q->filter_object_type(),
                                            q->filter_object_name());
        });
      }
    }
    const ListOptions paging = PagingOf(*q);
    FillPage(registry::SortAndPaginate(std::move(lineage.direct), paging),
             r->mutable_relationships(), r->mutable_relationships_pagination())
        .IgnoreError();
    return FillPage(registry::SortAndPaginate(std::move(lineage.indirect), paging),
                    r->mutable_indirect_relationships(),
                    r->mutable_indirect_relationships_pagination());
  });
}
grpc::Status RegistryService::GetObjectRelationships(grpc::ServerContextBase* c,
                                                     const reg::GetObjectRelationshipsRequest* q,
                                                     reg::GetObjectRelationshipsResponse* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    if (!registry::IsLineageObjectType(q->object_type())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown object_type '", q->object_type(),
          "' (one of dataSource, entity, featureView, labelView, featureService, feature, "
          "savedDataset)"));
    }
    if (auto s = call.access.RequireDescribeProject(q->project(), false); !s.ok()) return s;
    absl::StatusOr<registry::ProjectObjects> objects =
        registry_.LoadProjectObjects(q->project(), q->allow_cache());
    if (!objects.ok()) return objects.status();
    registry::Lineage lineage = registry::ComputeLineage(*objects);
    std::vector<reg::EntityRelation> touching;
    auto collect = [&](const std::vector<reg::EntityRelation>& list) {
      for (const auto& relation : list) {
        if (registry::RelationTouches(relation, q->object_type(), q->object_name())) {
          touching.push_back(relation);
        }
      }
    };
    collect(lineage.direct);
    if (q->include_indirect()) collect(lineage.indirect);
    return RespondPage(absl::StatusOr<ListPage<reg::EntityRelation>>(
                           registry::SortAndPaginate(std::move(touching), PagingOf(*q))),
                       r->mutable_relationships(), r);
  });
}

// --- Features
grpc::Status RegistryService::ListFeatures(grpc::ServerContextBase* c,
                                           const reg::ListFeaturesRequest* q,
                                           reg::ListFeaturesResponse* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    absl::StatusOr<registry::ProjectObjects> objects =
        VisibleObjects(registry_, call, q->project(), q->allow_cache());
    if (!objects.ok()) return objects.status();
    std::vector<reg::Feature> features = registry::ListFeatureRecords(*objects, q->project());
    std::erase_if(features, [&](const reg::Feature& f) {
      return (!q->feature_view().empty() && f.feature_view() != q->feature_view()) ||
             (!q->name().empty() && f.name() != q->name()) ||
             (!q->kind().empty() && f.kind() != q->kind());
    });
    return RespondPage(absl::StatusOr<ListPage<reg::Feature>>(
                           registry::SortAndPaginate(std::move(features), PagingOf(*q))),
                       r->mutable_features(), r);
  });
}
grpc::Status RegistryService::GetFeature(grpc::ServerContextBase* c, const reg::GetFeatureRequest* q,
                                         reg::Feature* r) {
  return Handle(c, [&](const Call& call) -> absl::Status {
    absl::StatusOr<registry::ProjectObjects> objects =
        VisibleObjects(registry_, call, q->project(), q->allow_cache());
    if (!objects.ok()) return objects.status();
    for (reg::Feature& f : registry::ListFeatureRecords(*objects, q->project())) {
      if (f.feature_view() == q->feature_view() && f.name() == q->name()) {
        *r = std::move(f);
        return absl::OkStatus();
      }
    }
    return registry::FeastObjectNotFound(absl::StrCat("Feature ", q->name(),
                                                      " not found in feature view ",
                                                      q->feature_view(), " in project ",
                                                      q->project()));
  });
}

}  // namespace larder::api
