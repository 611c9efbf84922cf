// The table of feast.registry.RegistryServer's methods: each entry is the whole operation
// (permission check, Feast filters, registry call), written once for every front end.
#include "server/service/feast_registry_service.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "feast/registry/RegistryServer.pb.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "server/registry/access_control.h"
#include "server/registry/feast_errors.h"
#include "server/registry/feature_listing.h"
#include "server/registry/lineage.h"
#include "server/registry/registry_internal.h"

namespace larder::service {
namespace {

using google::protobuf::Empty;
using registry::ListOptions;
using registry::ListPage;
constexpr auto kDescribe = feast::core::PermissionSpec::DESCRIBE;
namespace core = feast::core;
namespace reg = feast::registry;

template <typename Message>
Reply MessageReply(Message message) {
  return Reply::Of(std::make_unique<Message>(std::move(message)));
}

template <typename Message>
absl::StatusOr<Reply> Respond(absl::StatusOr<Message> result) {
  if (!result.ok()) return result.status();
  return MessageReply(*std::move(result));
}

absl::StatusOr<Reply> Done(const absl::Status& status) {
  if (!status.ok()) return status;
  return MessageReply(Empty());
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

// The repeated field of `Response` that holds `Item`s, found by type rather than by name.
template <typename Response, typename Item>
const google::protobuf::FieldDescriptor* ItemsField() {
  static const google::protobuf::FieldDescriptor* field = [] {
    const google::protobuf::Descriptor* response = Response::descriptor();
    for (int i = 0; i < response->field_count(); ++i) {
      if (response->field(i)->is_repeated() &&
          response->field(i)->message_type() == Item::descriptor()) {
        return response->field(i);
      }
    }
    return static_cast<const google::protobuf::FieldDescriptor*>(nullptr);
  }();
  return field;
}

// A List response holding `page`.
template <typename Response, typename Item>
absl::StatusOr<Reply> PageReply(absl::StatusOr<ListPage<Item>> page) {
  if (!page.ok()) return page.status();
  Response response;
  const google::protobuf::Reflection* reflection = response.GetReflection();
  for (Item& item : page->items) {
    static_cast<Item*>(reflection->AddMessage(&response, ItemsField<Response, Item>()))
        ->Swap(&item);
  }
  *response.mutable_pagination() = std::move(page->pagination);
  return MessageReply(std::move(response));
}

// A List response written from stored rows: the items field repeated with each row (plus the
// project field), then the pagination metadata (always present, as the typed path writes it).
// One copy into one buffer: cheaper to send than three pieces per item.
std::string EncodeStoredPage(const registry::StoredPage& page, int items_field,
                             int pagination_field) {
  using google::protobuf::internal::WireFormatLite;
  std::string bytes;
  size_t estimate = 16 + page.pagination.ByteSizeLong();
  for (const registry::RowRef& row : page.rows) {
    estimate += row->proto.size() + page.project_field.size() + 16;
  }
  bytes.reserve(estimate);
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    const uint32_t item_tag =
        WireFormatLite::MakeTag(items_field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
    for (const registry::RowRef& row : page.rows) {
      out.WriteTag(item_tag);
      out.WriteVarint32(static_cast<uint32_t>(row->proto.size() + page.project_field.size()));
      out.WriteRaw(row->proto.data(), static_cast<int>(row->proto.size()));
      out.WriteRaw(page.project_field.data(), static_cast<int>(page.project_field.size()));
    }
    out.WriteTag(
        WireFormatLite::MakeTag(pagination_field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    out.WriteVarint32(static_cast<uint32_t>(page.pagination.ByteSizeLong()));
    page.pagination.SerializeWithCachedSizes(&out);
  }
  return bytes;
}

// A ListAllFeatureViews response written from stored rows: each item an AnyFeatureView
// wrapping the row (plus the project field) in its kind's member, then the pagination metadata.
std::string EncodeStoredViewPage(const registry::StoredViewPage& page) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  constexpr int kItemsField = reg::ListAllFeatureViewsResponse::kFeatureViewsFieldNumber;
  constexpr int kPaginationField = reg::ListAllFeatureViewsResponse::kPaginationFieldNumber;
  std::string bytes;
  size_t estimate = 16 + page.pagination.ByteSizeLong();
  for (const auto& item : page.items) {
    estimate += item.row->proto.size() + item.project_field->size() + 24;
  }
  bytes.reserve(estimate);
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    CodedOutputStream out(&stream);
    const uint32_t item_tag =
        WireFormatLite::MakeTag(kItemsField, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
    for (const auto& item : page.items) {
      const uint32_t view_size =
          static_cast<uint32_t>(item.row->proto.size() + item.project_field->size());
      const uint32_t view_tag =
          WireFormatLite::MakeTag(item.any_field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
      const size_t any_size = CodedOutputStream::VarintSize32(view_tag) +
                              CodedOutputStream::VarintSize32(view_size) + view_size;
      out.WriteTag(item_tag);
      out.WriteVarint32(static_cast<uint32_t>(any_size));
      out.WriteTag(view_tag);
      out.WriteVarint32(view_size);
      out.WriteRaw(item.row->proto.data(), static_cast<int>(item.row->proto.size()));
      out.WriteRaw(item.project_field->data(), static_cast<int>(item.project_field->size()));
    }
    out.WriteTag(
        WireFormatLite::MakeTag(kPaginationField, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    out.WriteVarint32(static_cast<uint32_t>(page.pagination.ByteSizeLong()));
    page.pagination.SerializeWithCachedSizes(&out);
  }
  return bytes;
}

// Whether a ListAllFeatureViews request only paginates (no filter, tag or sort key), so the
// stored bytes answer it.
bool PlainListAllFeatureViews(const reg::ListAllFeatureViewsRequest& q) {
  return q.tags().empty() && q.sorting().sort_by().empty() && q.entity().empty() &&
         q.feature().empty() && q.feature_service().empty() && q.data_source().empty() &&
         !q.has_updated_since();
}

constexpr char kServiceName[] = "feast.registry.RegistryServer";

// One Feast write: the mutation of `q` (a request carrying Feast's `commit` flag) to `project`.
// commit=false is staged for the caller's session when staging is on (see StagedWrites);
// otherwise the session's staged writes to the project and this one commit together, or, when
// the session holds none, `direct()` runs the write alone.
template <typename Request, typename Mutate, typename Direct>
absl::StatusOr<Reply> FeastWrite(registry::Registry& r, StagedWrites& staged, const Call& call,
                                 const Request& q, absl::string_view project, Mutate mutate,
                                 Direct direct) {
  const CallContext& context = *call.context;
  if (!q.commit() && staged.Stages(context)) {
    // What can be checked without the database is checked now, so a bad request fails on its
    // own call; the rest (permissions, references, conflicts) is checked at the commit.
    if (auto s = registry::internal::ValidateName("project name", project); !s.ok()) return s;
    auto owned = std::make_shared<const Request>(q);
    auto mutation = [owned, mutate, project = std::string(project)](registry::RegistryWrite& w) {
      return mutate(w, *owned, project);
    };
    return Done(staged.Stage(context, project, std::move(mutation), absl::Now()));
  }
  std::vector<StagedMutation> held = staged.Take(context, project, absl::Now());
  if (held.empty()) return Done(direct());
  return Done(r.Write(call.write, [&](registry::RegistryWrite& w) -> absl::Status {
    for (const StagedMutation& m : held) {
      if (absl::Status s = m(w); !s.ok()) return s;
    }
    return mutate(w, q, project);
  }));
}

template <typename Request, typename Mutate>
absl::StatusOr<Reply> FeastWrite(registry::Registry& r, StagedWrites& staged, const Call& call,
                                 const Request& q, absl::string_view project, Mutate mutate) {
  return FeastWrite(r, staged, call, q, project, mutate, [&] {
    return r.Write(call.write, [&](registry::RegistryWrite& w) { return mutate(w, q, project); });
  });
}

// Builds the method table over one registry and runner.
class TableBuilder {
 public:
  TableBuilder(registry::Registry& registry, CallRunner& runner, StagedWrites& staged,
               std::vector<Method>& methods)
      : r_(registry), runner_(runner), staged_(staged), methods_(methods) {}

  // A method answered by `answer(call, request)`; `from_memory`, when given, says whether a
  // request can be answered without waiting on the database.
  template <typename Request, typename Answer>
  void Add(absl::string_view name, Answer answer,
           std::function<bool(const Request&)> from_memory = nullptr) {
    AddMethod<Request>(methods_, runner_, kServiceName, name, std::move(answer),
                       std::move(from_memory));
  }

  // Apply<Kind>: the write checks create-or-update permission in its own transaction.
  template <typename Request, typename ObjectOf>
  void AddApply(absl::string_view name, ObjectOf object_of) {
    AddWrite<Request>(
        name, [](const Request& q) { return q.project(); },
        [object_of](registry::RegistryWrite& w, const Request& q, absl::string_view project) {
          return w.Apply(project, object_of(q)).status();
        });
  }

  // A write method: `mutate(write, request, project)` in the project `project_of(request)`,
  // staged or committed as the request's commit flag says (FeastWrite).
  template <typename Request, typename ProjectOf, typename Mutate>
  void AddWrite(absl::string_view name, ProjectOf project_of, Mutate mutate) {
    Add<Request>(
        name, [&r = r_, &staged = staged_, project_of, mutate](const Call& call, const Request& q) {
          return FeastWrite(r, staged, call, q, project_of(q), mutate);
        });
  }

  // Get<Kind>: the stored bytes when nothing needs checking, else the decoded object after a
  // DESCRIBE check.
  template <typename Message, typename Request>
  void AddGet(absl::string_view name) {
    Add<Request>(
        name,
        [&r = r_](const Call& call, const Request& q) -> absl::StatusOr<Reply> {
          if (call.access.user() == nullptr) {
            absl::StatusOr<registry::StoredObject> stored =
                r.GetStored<Message>(q.project(), q.name(), q.allow_cache());
            if (!stored.ok()) return stored.status();
            std::vector<Reply::Piece> pieces{{stored->row, stored->row->proto}};
            if (!stored->project_field.empty()) {
              auto field = std::make_shared<const std::string>(std::move(stored->project_field));
              absl::string_view bytes = *field;
              pieces.push_back({std::move(field), bytes});
            }
            return Reply::Encoded(std::move(pieces));
          }
          absl::StatusOr<Message> got = r.Get<Message>(q.project(), q.name(), q.allow_cache());
          if (!got.ok()) return got.status();
          if (auto s = call.access.Require(q.project(), *got, {kDescribe}); !s.ok()) return s;
          return MessageReply(*std::move(got));
        },
        std::function<bool(const Request&)>([from_memory = FromMemory()](const Request& q) {
          return from_memory(q.allow_cache());
        }));
  }

  // List<Kind>: the stored bytes when the request only paginates (no tags, no sort key, no
  // kind-specific filter: `keep_of` gives none) and nothing needs checking; otherwise decoded,
  // filtered by tags, `keep_of(request)` and DESCRIBE, sorted and paginated.
  template <typename Message, typename Request, typename Response>
  void AddList(
      absl::string_view name,
      std::function<std::function<bool(const Message&)>(const Request&)> keep_of = nullptr) {
    const int items_field = ItemsField<Response, Message>()->number();
    const int pagination_field = Response::descriptor()->FindFieldByName("pagination")->number();
    auto plain = [&runner = runner_, keep_of](const Request& q) {
      return !runner.checks_access() && q.tags().empty() && q.sorting().sort_by().empty() &&
             (!keep_of || !keep_of(q));
    };
    Add<Request>(
        name,
        [=, &r = r_](const Call& call, const Request& q) -> absl::StatusOr<Reply> {
          if (plain(q)) {
            absl::StatusOr<registry::StoredPage> page =
                r.ListStored<Message>(q.project(), q.pagination(), q.allow_cache());
            if (!page.ok()) return page.status();
            return Reply::Encoded(EncodeStoredPage(*page, items_field, pagination_field));
          }
          std::function<bool(const Message&)> keep = keep_of ? keep_of(q) : nullptr;
          absl::StatusOr<registry::Visibility> visible = call.access.Visible(q.project());
          if (!visible.ok()) return visible.status();
          auto page = r.List<Message>(
              q.project(), ListOptionsOf(q), q.allow_cache(),
              [&](const Message& m) { return (!keep || keep(m)) && (*visible)(m); });
          if (!visible->status().ok()) return visible->status();
          return PageReply<Response>(std::move(page));
        },
        std::function<bool(const Request&)>([plain, from_memory = FromMemory()](const Request& q) {
          return plain(q) && from_memory(q.allow_cache());
        }));
  }

  template <typename Message, typename Request>
  void AddDelete(absl::string_view name) {
    AddWrite<Request>(
        name, [](const Request& q) { return q.project(); },
        [](registry::RegistryWrite& w, const Request& q, absl::string_view project) {
          return w.Delete<Message>(project, q.name()).status();
        });
  }

  // Whether a read can be answered from the in-memory snapshot without touching the database
  // (after a local write the snapshot must first catch up). Captures the registry and runner,
  // not this builder, which lives only while the table is built.
  std::function<bool(bool allow_cache)> FromMemory() const {
    return [&r = r_, &runner = runner_](bool allow_cache) {
      return allow_cache && !runner.checks_access() && r.CachedReadsReady();
    };
  }

  registry::Registry& r_;
  CallRunner& runner_;
  StagedWrites& staged_;
  std::vector<Method>& methods_;
};

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

FeastRegistryService::FeastRegistryService(registry::Registry& registry, CallRunner& runner,
                                           StagedWrites& staged)
    : MethodTable(runner), appends_(registry) {
  TableBuilder t(registry, runner, staged, methods_);
  registry::Registry& r = registry;

  // --- Entities
  t.AddApply<reg::ApplyEntityRequest>("ApplyEntity", [](const auto& q) { return q.entity(); });
  t.AddGet<core::Entity, reg::GetEntityRequest>("GetEntity");
  t.AddList<core::Entity, reg::ListEntitiesRequest, reg::ListEntitiesResponse>("ListEntities");
  t.AddDelete<core::Entity, reg::DeleteEntityRequest>("DeleteEntity");

  // --- Data sources
  t.AddApply<reg::ApplyDataSourceRequest>("ApplyDataSource",
                                          [](const auto& q) { return q.data_source(); });
  t.AddGet<core::DataSource, reg::GetDataSourceRequest>("GetDataSource");
  t.AddList<core::DataSource, reg::ListDataSourcesRequest, reg::ListDataSourcesResponse>(
      "ListDataSources");
  t.AddDelete<core::DataSource, reg::DeleteDataSourceRequest>("DeleteDataSource");

  // --- Feature views of every kind
  t.Add<reg::ApplyFeatureViewRequest>(
      "ApplyFeatureView",
      [&r, &staged](const Call& call,
                    const reg::ApplyFeatureViewRequest& q) -> absl::StatusOr<Reply> {
        if (q.base_feature_view_case() == reg::ApplyFeatureViewRequest::BASE_FEATURE_VIEW_NOT_SET) {
          return absl::InvalidArgumentError("ApplyFeatureViewRequest carries no feature view");
        }
        return FeastWrite(r, staged, call, q, q.project(),
                          [](registry::RegistryWrite& w, const reg::ApplyFeatureViewRequest& q,
                             absl::string_view project) -> absl::Status {
                            switch (q.base_feature_view_case()) {
                              case reg::ApplyFeatureViewRequest::kFeatureView:
                                return w.Apply(project, q.feature_view()).status();
                              case reg::ApplyFeatureViewRequest::kOnDemandFeatureView:
                                return w.Apply(project, q.on_demand_feature_view()).status();
                              case reg::ApplyFeatureViewRequest::kStreamFeatureView:
                                return w.Apply(project, q.stream_feature_view()).status();
                              case reg::ApplyFeatureViewRequest::kLabelView:
                                return w.Apply(project, q.label_view()).status();
                              default:
                                return absl::InvalidArgumentError(
                                    "ApplyFeatureViewRequest carries no feature view");
                            }
                          });
      });
  t.AddWrite<reg::DeleteFeatureViewRequest>(
      "DeleteFeatureView", [](const auto& q) { return q.project(); },
      [](registry::RegistryWrite& w, const reg::DeleteFeatureViewRequest& q,
         absl::string_view project) { return w.DeleteFeatureView(project, q.name()).status(); });
  t.Add<reg::GetAnyFeatureViewRequest>(
      "GetAnyFeatureView",
      [&r](const Call& call, const reg::GetAnyFeatureViewRequest& q) -> absl::StatusOr<Reply> {
        absl::StatusOr<reg::AnyFeatureView> view =
            r.GetAnyFeatureView(q.project(), q.name(), q.allow_cache());
        if (!view.ok()) return view.status();
        if (auto s = call.access.Require(q.project(), *view, {kDescribe}); !s.ok()) return s;
        reg::GetAnyFeatureViewResponse response;
        *response.mutable_any_feature_view() = *std::move(view);
        return MessageReply(std::move(response));
      });
  t.Add<reg::ListAllFeatureViewsRequest>(
      "ListAllFeatureViews",
      [&r, &runner](const Call& call,
                    const reg::ListAllFeatureViewsRequest& q) -> absl::StatusOr<Reply> {
        if (!runner.checks_access() && PlainListAllFeatureViews(q)) {
          absl::StatusOr<registry::StoredViewPage> page =
              r.ListAllFeatureViewsStored(q.project(), q.pagination(), q.allow_cache());
          if (!page.ok()) return page.status();
          return Reply::Encoded(EncodeStoredViewPage(*page));
        }
        registry::FeatureViewFilters filters{q.entity(), q.feature(), q.feature_service(),
                                             q.data_source(), std::nullopt};
        if (q.has_updated_since()) filters.updated_since = q.updated_since();
        if (!q.feature_service().empty() && call.access.user() != nullptr) {
          // Feast answers a feature service the caller may not see like a missing one: empty.
          absl::StatusOr<core::FeatureService> service =
              r.Get<core::FeatureService>(q.project(), q.feature_service(), q.allow_cache());
          if (!service.ok() && !absl::IsNotFound(service.status())) return service.status();
          if (!service.ok() || !call.access.Require(q.project(), *service, {kDescribe}).ok()) {
            return PageReply<reg::ListAllFeatureViewsResponse>(
                absl::StatusOr<ListPage<reg::AnyFeatureView>>(ListPage<reg::AnyFeatureView>()));
          }
        }
        absl::StatusOr<registry::Visibility> visible = call.access.Visible(q.project());
        if (!visible.ok()) return visible.status();
        auto page = r.ListAllFeatureViews(q.project(), filters, ListOptionsOf(q), q.allow_cache(),
                                          std::ref(*visible));
        if (!visible->status().ok()) return visible->status();
        return PageReply<reg::ListAllFeatureViewsResponse>(std::move(page));
      },
      std::function<bool(const reg::ListAllFeatureViewsRequest&)>(
          [&runner, from_memory = t.FromMemory()](const reg::ListAllFeatureViewsRequest& q) {
            return !runner.checks_access() && PlainListAllFeatureViews(q) &&
                   from_memory(q.allow_cache());
          }));
  t.AddGet<core::FeatureView, reg::GetFeatureViewRequest>("GetFeatureView");
  t.AddList<core::FeatureView, reg::ListFeatureViewsRequest, reg::ListFeatureViewsResponse>(
      "ListFeatureViews");
  t.AddGet<core::StreamFeatureView, reg::GetStreamFeatureViewRequest>("GetStreamFeatureView");
  t.AddList<core::StreamFeatureView, reg::ListStreamFeatureViewsRequest,
            reg::ListStreamFeatureViewsResponse>("ListStreamFeatureViews");
  t.AddGet<core::OnDemandFeatureView, reg::GetOnDemandFeatureViewRequest>("GetOnDemandFeatureView");
  t.AddList<core::OnDemandFeatureView, reg::ListOnDemandFeatureViewsRequest,
            reg::ListOnDemandFeatureViewsResponse>("ListOnDemandFeatureViews");
  t.AddGet<core::LabelView, reg::GetLabelViewRequest>("GetLabelView");
  t.AddList<core::LabelView, reg::ListLabelViewsRequest, reg::ListLabelViewsResponse>(
      "ListLabelViews");

  // --- Feature services
  t.AddApply<reg::ApplyFeatureServiceRequest>("ApplyFeatureService",
                                              [](const auto& q) { return q.feature_service(); });
  t.AddGet<core::FeatureService, reg::GetFeatureServiceRequest>("GetFeatureService");
  t.AddList<core::FeatureService, reg::ListFeatureServicesRequest,
            reg::ListFeatureServicesResponse>(
      "ListFeatureServices",
      [](const reg::ListFeatureServicesRequest& q)
          -> std::function<bool(const core::FeatureService&)> {
        if (q.feature_view().empty()) return nullptr;
        return [view = q.feature_view()](const core::FeatureService& service) {
          for (const auto& projection : service.spec().features()) {
            if (projection.feature_view_name() == view) return true;
          }
          return false;
        };
      });
  t.AddDelete<core::FeatureService, reg::DeleteFeatureServiceRequest>("DeleteFeatureService");

  // --- Saved datasets
  t.AddApply<reg::ApplySavedDatasetRequest>("ApplySavedDataset",
                                            [](const auto& q) { return q.saved_dataset(); });
  t.AddGet<core::SavedDataset, reg::GetSavedDatasetRequest>("GetSavedDataset");
  t.AddList<core::SavedDataset, reg::ListSavedDatasetsRequest, reg::ListSavedDatasetsResponse>(
      "ListSavedDatasets",
      [](const reg::ListSavedDatasetsRequest& q) -> std::function<bool(const core::SavedDataset&)> {
        if (q.namespace_().empty() && q.collection().empty()) return nullptr;
        return [ns = q.namespace_(), collection = q.collection()](const core::SavedDataset& d) {
          return (ns.empty() || d.spec().namespace_() == ns) &&
                 (collection.empty() || d.spec().collection() == collection);
        };
      });
  t.AddDelete<core::SavedDataset, reg::DeleteSavedDatasetRequest>("DeleteSavedDataset");

  // --- Dataset jobs need an offline store, which a registry server does not have.
  t.Add<reg::CreateDatasetFromRetrievalRequest>(
      "CreateDatasetFromRetrieval",
      [](const Call&, const reg::CreateDatasetFromRetrievalRequest&) -> absl::StatusOr<Reply> {
        return absl::UnimplementedError(
            "CreateDatasetFromRetrieval needs a Feast offline store; Larder is a registry server "
            "only. Run the retrieval with the Feast SDK and apply the saved dataset.");
      });
  t.Add<reg::GetDatasetDataRequest>(
      "GetDatasetData",
      [](const Call&, const reg::GetDatasetDataRequest&) -> absl::StatusOr<Reply> {
        return absl::UnimplementedError(
            "GetDatasetData needs a Feast offline store; Larder is a registry server only.");
      });
  t.Add<reg::GetDatasetJobStatusRequest>(
      "GetDatasetJobStatus",
      [](const Call&, const reg::GetDatasetJobStatusRequest& q) -> absl::StatusOr<Reply> {
        // Larder never runs dataset jobs, so no job id is known.
        return registry::FeastObjectNotFound(
            absl::StrCat("Dataset job '", q.job_id(), "' not found"));
      });
  t.Add<reg::ListDatasetJobsRequest>(
      "ListDatasetJobs", [](const Call&, const reg::ListDatasetJobsRequest&) {
        return absl::StatusOr<Reply>(MessageReply(reg::ListDatasetJobsResponse()));
      });

  // --- Validation references
  t.AddApply<reg::ApplyValidationReferenceRequest>(
      "ApplyValidationReference", [](const auto& q) { return q.validation_reference(); });
  t.AddGet<core::ValidationReference, reg::GetValidationReferenceRequest>("GetValidationReference");
  t.AddList<core::ValidationReference, reg::ListValidationReferencesRequest,
            reg::ListValidationReferencesResponse>("ListValidationReferences");
  t.AddDelete<core::ValidationReference, reg::DeleteValidationReferenceRequest>(
      "DeleteValidationReference");

  // --- Permissions
  t.AddApply<reg::ApplyPermissionRequest>("ApplyPermission",
                                          [](const auto& q) { return q.permission(); });
  t.AddGet<core::Permission, reg::GetPermissionRequest>("GetPermission");
  t.AddList<core::Permission, reg::ListPermissionsRequest, reg::ListPermissionsResponse>(
      "ListPermissions");
  t.AddDelete<core::Permission, reg::DeletePermissionRequest>("DeletePermission");

  // --- Projects
  t.AddWrite<reg::ApplyProjectRequest>(
      "ApplyProject", [](const auto& q) { return q.project().spec().name(); },
      [](registry::RegistryWrite& w, const reg::ApplyProjectRequest& q, absl::string_view project) {
        return w.Apply(project, q.project()).status();
      });
  t.Add<reg::GetProjectRequest>(
      "GetProject",
      [&r](const Call& call, const reg::GetProjectRequest& q) -> absl::StatusOr<Reply> {
        absl::StatusOr<core::Project> project = r.GetProject(q.name(), q.allow_cache());
        if (!project.ok()) return project.status();
        // GetProjectRequest names no project to take permissions from: the default project's.
        if (auto s = call.access.Require("", *project, {kDescribe}); !s.ok()) return s;
        return Respond(std::move(project));
      });
  t.Add<reg::ListProjectsRequest>(
      "ListProjects",
      [&r](const Call& call, const reg::ListProjectsRequest& q) -> absl::StatusOr<Reply> {
        absl::StatusOr<registry::Visibility> visible = call.access.Visible("");
        if (!visible.ok()) return visible.status();
        auto page = r.ListProjects(ListOptionsOf(q), q.allow_cache(), std::ref(*visible));
        if (!visible->status().ok()) return visible->status();
        return PageReply<reg::ListProjectsResponse>(std::move(page));
      });
  t.AddWrite<reg::DeleteProjectRequest>(
      "DeleteProject", [](const auto& q) { return q.name(); },
      [](registry::RegistryWrite& w, const reg::DeleteProjectRequest&, absl::string_view project) {
        return w.DeleteProject(project).status();
      });

  // --- Materialization, metadata, infra, commit, refresh, proto
  // Concurrent appends to one view share a transaction (CoalescedAppends), unless the session
  // holds staged writes, which must commit together with this one.
  t.Add<reg::ApplyMaterializationRequest>(
      "ApplyMaterialization",
      [&r, &staged, &appends = appends_](
          const Call& call, const reg::ApplyMaterializationRequest& q) -> absl::StatusOr<Reply> {
        const std::string& view = q.feature_view().spec().name();
        return FeastWrite(
            r, staged, call, q, q.project(),
            [](registry::RegistryWrite& w, const reg::ApplyMaterializationRequest& q,
               absl::string_view project) {
              return w
                  .ApplyMaterialization(project, q.feature_view().spec().name(), q.start_date(),
                                        q.end_date())
                  .status();
            },
            [&] {
              return appends.Append(q.project(), view, q.start_date(), q.end_date(), call.write);
            });
      });
  t.Add<reg::ListProjectMetadataRequest>(
      "ListProjectMetadata",
      [&r](const Call& call, const reg::ListProjectMetadataRequest& q) -> absl::StatusOr<Reply> {
        if (auto s = call.access.RequireDescribeProject(q.project(), false); !s.ok()) return s;
        absl::StatusOr<std::vector<core::ProjectMetadata>> metadata =
            r.ListProjectMetadata(q.project());
        if (!metadata.ok()) return metadata.status();
        reg::ListProjectMetadataResponse response;
        for (core::ProjectMetadata& m : *metadata) *response.add_project_metadata() = std::move(m);
        return MessageReply(std::move(response));
      });
  t.AddWrite<reg::UpdateInfraRequest>(
      "UpdateInfra", [](const auto& q) { return q.project(); },
      [](registry::RegistryWrite& w, const reg::UpdateInfraRequest& q, absl::string_view project) {
        return w.UpdateInfra(project, q.infra()).status();
      });
  t.Add<reg::GetInfraRequest>(
      "GetInfra", [&r](const Call& call, const reg::GetInfraRequest& q) -> absl::StatusOr<Reply> {
        if (auto s = call.access.RequireDescribeProject(q.project(), true); !s.ok()) return s;
        return Respond(r.GetInfra(q.project()));
      });
  t.Add<Empty>("Commit", [&r, &staged](const Call& call, const Empty&) {
    if (absl::Status s = call.access.RequireCommit(); !s.ok()) return Done(s);
    // Everything this session staged, of every project, in one transaction.
    std::vector<StagedMutation> held = staged.Take(*call.context, std::nullopt, absl::Now());
    if (held.empty()) return Done(absl::OkStatus());
    return Done(r.Write(call.write, [&](registry::RegistryWrite& w) -> absl::Status {
      for (const StagedMutation& m : held) {
        if (absl::Status s = m(w); !s.ok()) return s;
      }
      return absl::OkStatus();
    }));
  });
  t.Add<reg::RefreshRequest>(
      "Refresh", [&r](const Call& call, const reg::RefreshRequest& q) -> absl::StatusOr<Reply> {
        if (auto s = call.access.RequireApplyProject(q.project()); !s.ok()) return s;
        return Done(r.Refresh());
      });
  t.Add<Empty>("Proto", [&r](const Call& call, const Empty&) -> absl::StatusOr<Reply> {
    absl::StatusOr<std::shared_ptr<const registry::Snapshot>> snapshot = r.ProtoSnapshot();
    if (!snapshot.ok()) return snapshot.status();
    std::shared_ptr<const std::string> bytes = (*snapshot)->RegistryBytes();
    if (call.access.user() == nullptr) {
      // The assembled bytes as they are, shared with the snapshot.
      absl::string_view view = *bytes;
      return Reply::Encoded(std::vector<Reply::Piece>{{std::move(bytes), view}});
    }
    // Filtering by permission needs the objects.
    core::Registry registry;
    if (!registry.ParseFromString(*bytes)) {
      return absl::InternalError("the assembled registry does not parse");
    }
    if (auto s = call.access.FilterRegistry(registry); !s.ok()) return s;
    return MessageReply(std::move(registry));
  });

  // --- Lineage
  t.Add<reg::GetRegistryLineageRequest>(
      "GetRegistryLineage",
      [&r](const Call& call, const reg::GetRegistryLineageRequest& q) -> absl::StatusOr<Reply> {
        if (auto s = call.access.RequireDescribeProject(q.project(), false); !s.ok()) return s;
        absl::StatusOr<registry::ProjectObjects> objects =
            r.LoadProjectObjects(q.project(), q.allow_cache());
        if (!objects.ok()) return objects.status();
        registry::Lineage lineage = registry::ComputeLineage(*objects);
        if (!q.filter_object_type().empty() && !q.filter_object_name().empty()) {
          for (auto* list : {&lineage.direct, &lineage.indirect}) {
            std::erase_if(*list, [&](const reg::EntityRelation& relation) {
              return !registry::RelationTouches(relation, q.filter_object_type(),
                                                q.filter_object_name());
            });
          }
        }
        const ListOptions paging = PagingOf(q);
        reg::GetRegistryLineageResponse response;
        auto fill = [](ListPage<reg::EntityRelation> page, auto* items, auto* pagination) {
          for (reg::EntityRelation& relation : page.items) *items->Add() = std::move(relation);
          *pagination = std::move(page.pagination);
        };
        fill(registry::SortAndPaginate(std::move(lineage.direct), paging),
             response.mutable_relationships(), response.mutable_relationships_pagination());
        fill(registry::SortAndPaginate(std::move(lineage.indirect), paging),
             response.mutable_indirect_relationships(),
             response.mutable_indirect_relationships_pagination());
        return MessageReply(std::move(response));
      });
  t.Add<reg::GetObjectRelationshipsRequest>(
      "GetObjectRelationships",
      [&r](const Call& call, const reg::GetObjectRelationshipsRequest& q) -> absl::StatusOr<Reply> {
        if (!registry::IsLineageObjectType(q.object_type())) {
          return absl::InvalidArgumentError(absl::StrCat(
              "unknown object_type '", q.object_type(),
              "' (one of dataSource, entity, featureView, labelView, featureService, feature, "
              "savedDataset)"));
        }
        if (auto s = call.access.RequireDescribeProject(q.project(), false); !s.ok()) return s;
        absl::StatusOr<registry::ProjectObjects> objects =
            r.LoadProjectObjects(q.project(), q.allow_cache());
        if (!objects.ok()) return objects.status();
        registry::Lineage lineage = registry::ComputeLineage(*objects);
        std::vector<reg::EntityRelation> touching;
        auto collect = [&](const std::vector<reg::EntityRelation>& list) {
          for (const auto& relation : list) {
            if (registry::RelationTouches(relation, q.object_type(), q.object_name())) {
              touching.push_back(relation);
            }
          }
        };
        collect(lineage.direct);
        if (q.include_indirect()) collect(lineage.indirect);
        return PageReply<reg::GetObjectRelationshipsResponse>(
            absl::StatusOr<ListPage<reg::EntityRelation>>(
                registry::SortAndPaginate(std::move(touching), PagingOf(q))));
      });

  // --- Features
  t.Add<reg::ListFeaturesRequest>(
      "ListFeatures",
      [&r](const Call& call, const reg::ListFeaturesRequest& q) -> absl::StatusOr<Reply> {
        absl::StatusOr<registry::ProjectObjects> objects =
            VisibleObjects(r, call, q.project(), q.allow_cache());
        if (!objects.ok()) return objects.status();
        std::vector<reg::Feature> features = registry::ListFeatureRecords(*objects, q.project());
        std::erase_if(features, [&](const reg::Feature& f) {
          return (!q.feature_view().empty() && f.feature_view() != q.feature_view()) ||
                 (!q.name().empty() && f.name() != q.name()) ||
                 (!q.kind().empty() && f.kind() != q.kind());
        });
        return PageReply<reg::ListFeaturesResponse>(absl::StatusOr<ListPage<reg::Feature>>(
            registry::SortAndPaginate(std::move(features), PagingOf(q))));
      });
  t.Add<reg::GetFeatureRequest>(
      "GetFeature",
      [&r](const Call& call, const reg::GetFeatureRequest& q) -> absl::StatusOr<Reply> {
        absl::StatusOr<registry::ProjectObjects> objects =
            VisibleObjects(r, call, q.project(), q.allow_cache());
        if (!objects.ok()) return objects.status();
        for (reg::Feature& f : registry::ListFeatureRecords(*objects, q.project())) {
          if (f.feature_view() == q.feature_view() && f.name() == q.name()) {
            return MessageReply(std::move(f));
          }
        }
        return registry::FeastObjectNotFound(
            absl::StrCat("Feature ", q.name(), " not found in feature view ", q.feature_view(),
                         " in project ", q.project()));
      });
}

}  // namespace larder::service
