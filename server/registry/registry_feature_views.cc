// The registry's feature-view operations that span kinds: feature-service preparation,
// DeleteFeatureView, GetAnyFeatureView, ListAllFeatureViews and ApplyMaterialization.
#include <set>

#include "server/registry/feast_errors.h"
#include "server/registry/registry.h"
#include "server/registry/registry_internal.h"

namespace larder::registry {
namespace {

using internal::Decode;
using storage::ChangeOp;
using storage::Lock;
using storage::ObjectKind;
using storage::ObjectRow;
using storage::Transaction;

constexpr ObjectKind kAnyViewOrder[] = {ObjectKind::kFeatureView, ObjectKind::kOnDemandFeatureView,
                                        ObjectKind::kStreamFeatureView, ObjectKind::kLabelView};

// Decodes a row of view kind `kind` into the matching arm of an AnyFeatureView.
absl::StatusOr<feast::registry::AnyFeatureView> DecodeAny(ObjectKind kind, const ObjectRow& row) {
  feast::registry::AnyFeatureView any;
  auto fill = [&](auto decoded, auto* target) -> absl::Status {
    if (!decoded.ok()) return decoded.status();
    *target = *std::move(decoded);
    return absl::OkStatus();
  };
  absl::Status status;
  switch (kind) {
    case ObjectKind::kFeatureView:
      status = fill(Decode<feast::core::FeatureView>(row), any.mutable_feature_view());
      break;
    case ObjectKind::kStreamFeatureView:
      status = fill(Decode<feast::core::StreamFeatureView>(row), any.mutable_stream_feature_view());
      break;
    case ObjectKind::kOnDemandFeatureView:
      status =
          fill(Decode<feast::core::OnDemandFeatureView>(row), any.mutable_on_demand_feature_view());
      break;
    case ObjectKind::kLabelView:
      status = fill(Decode<feast::core::LabelView>(row), any.mutable_label_view());
      break;
    default:
      return absl::InternalError("not a feature-view kind");
  }
  if (!status.ok()) return status;
  return any;
}

// The view inside an AnyFeatureView, for sorting.
const google::protobuf::Message& Inner(const feast::registry::AnyFeatureView& any) {
  switch (any.any_feature_view_case()) {
    case feast::registry::AnyFeatureView::kStreamFeatureView:
      return any.stream_feature_view();
    case feast::registry::AnyFeatureView::kOnDemandFeatureView:
      return any.on_demand_feature_view();
    case feast::registry::AnyFeatureView::kLabelView:
      return any.label_view();
    default:
      return any.feature_view();
  }
}

// The features of any view kind.
const google::protobuf::RepeatedPtrField<feast::core::FeatureSpecV2>& FeaturesOf(
    const feast::registry::AnyFeatureView& any) {
  switch (any.any_feature_view_case()) {
    case feast::registry::AnyFeatureView::kStreamFeatureView:
      return any.stream_feature_view().spec().features();
    case feast::registry::AnyFeatureView::kOnDemandFeatureView:
      return any.on_demand_feature_view().spec().features();
    case feast::registry::AnyFeatureView::kLabelView:
      return any.label_view().spec().features();
    default:
      return any.feature_view().spec().features();
  }
}

// Whether `view` passes ListAllFeatureViews' entity/feature/data-source filters (Feast §4.3).
bool MatchesFilters(const feast::registry::AnyFeatureView& any, const FeatureViewFilters& f) {
  auto contains = [](const auto& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  if (!f.feature.empty()) {
    bool found = false;
    for (const auto& feature : FeaturesOf(any)) found |= feature.name() == f.feature;
    if (!found) return false;
  }
  switch (any.any_feature_view_case()) {
    case feast::registry::AnyFeatureView::kFeatureView: {
      const auto& spec = any.feature_view().spec();
      if (!f.entity.empty() && !contains(spec.entities(), f.entity)) return false;
      if (!f.data_source.empty() && spec.batch_source().name() != f.data_source &&
          spec.stream_source().name() != f.data_source) {
        return false;
      }
      return true;
    }
    case feast::registry::AnyFeatureView::kStreamFeatureView: {
      const auto& spec = any.stream_feature_view().spec();
      if (!f.entity.empty() && !contains(spec.entities(), f.entity)) return false;
      if (!f.data_source.empty() && spec.batch_source().name() != f.data_source &&
          spec.stream_source().name() != f.data_source) {
        return false;
      }
      return true;
    }
    case feast::registry::AnyFeatureView::kOnDemandFeatureView: {
      const auto& spec = any.on_demand_feature_view().spec();
      if (!f.entity.empty() && !contains(spec.entities(), f.entity)) return false;
      if (!f.data_source.empty()) {
        bool found = false;
        for (const auto& [key, source] : spec.sources()) {
          found |= source.has_request_data_source() &&
                   source.request_data_source().name() == f.data_source;
        }
        if (!found) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// Tags and last-update time of any view kind.
const google::protobuf::Map<std::string, std::string>& TagsOf(
    const feast::registry::AnyFeatureView& any) {
  switch (any.any_feature_view_case()) {
    case feast::registry::AnyFeatureView::kStreamFeatureView:
      return any.stream_feature_view().spec().tags();
    case feast::registry::AnyFeatureView::kOnDemandFeatureView:
      return any.on_demand_feature_view().spec().tags();
    case feast::registry::AnyFeatureView::kLabelView:
      return any.label_view().spec().tags();
    default:
      return any.feature_view().spec().tags();
  }
}

const google::protobuf::Timestamp* LastUpdated(const feast::registry::AnyFeatureView& any) {
  auto of = [](const auto& meta) {
    return meta.has_last_updated_timestamp() ? &meta.last_updated_timestamp() : nullptr;
  };
  switch (any.any_feature_view_case()) {
    case feast::registry::AnyFeatureView::kStreamFeatureView:
      return of(any.stream_feature_view().meta());
    case feast::registry::AnyFeatureView::kOnDemandFeatureView:
      return of(any.on_demand_feature_view().meta());
    case feast::registry::AnyFeatureView::kLabelView:
      return of(any.label_view().meta());
    default:
      return of(any.feature_view().meta());
  }
}

}  // namespace

absl::StatusOr<feast::registry::AnyFeatureView> Registry::GetAnyFeatureView(
    absl::string_view project, absl::string_view name, bool allow_cache) {
  for (ObjectKind kind : kAnyViewOrder) {
    absl::StatusOr<RowRef> row = Row(kind, project, name, allow_cache);
    if (!row.ok()) return row.status();
    if (*row != nullptr) return DecodeAny(kind, **row);
  }
  return FeatureViewNotFound(name, project);
}

absl::StatusOr<ListPage<feast::registry::AnyFeatureView>> Registry::ListAllFeatureViews(
    absl::string_view project, const FeatureViewFilters& filters, const ListOptions& options,
    bool allow_cache, const std::function<bool(const feast::registry::AnyFeatureView&)>& keep) {
  std::set<std::string> service_views;
  if (!filters.feature_service.empty()) {
    absl::StatusOr<feast::core::FeatureService> service =
        Get<feast::core::FeatureService>(project, filters.feature_service, allow_cache);
    // Feast answers an unknown feature service with an empty list, not an error.
    if (absl::IsNotFound(service.status())) return ListPage<feast::registry::AnyFeatureView>();
    if (!service.ok()) return service.status();
    for (const auto& projection : service->spec().features()) {
      service_views.insert(projection.feature_view_name());
    }
  }
  std::vector<feast::registry::AnyFeatureView> matching;
  // Label views are never part of this list (Feast §4.3).
  for (ObjectKind kind : {ObjectKind::kFeatureView, ObjectKind::kStreamFeatureView,
                          ObjectKind::kOnDemandFeatureView}) {
    absl::StatusOr<RowList> rows = Rows(kind, project, allow_cache);
    if (!rows.ok()) return rows.status();
    for (const RowRef& row_ref : *rows) {
      const ObjectRow& row = *row_ref;
      absl::StatusOr<feast::registry::AnyFeatureView> any = DecodeAny(kind, row);
      if (!any.ok()) return any.status();
      if (!HasAllTags(TagsOf(*any), options.tags)) continue;
      if (filters.updated_since.has_value()) {
        const google::protobuf::Timestamp* updated = LastUpdated(*any);
        if (updated == nullptr) continue;
        const auto& since = *filters.updated_since;
        if (std::make_pair(updated->seconds(), updated->nanos()) <
            std::make_pair(since.seconds(), since.nanos())) {
          continue;
        }
      }
      if (!MatchesFilters(*any, filters)) continue;
      if (!filters.feature_service.empty() && service_views.count(row.name) == 0) continue;
      if (keep && !keep(*any)) continue;
      matching.push_back(*std::move(any));
    }
  }
  return SortAndPaginateBy(std::move(matching), options, Inner);
}

absl::Status Registry::DeleteFeatureView(absl::string_view project, absl::string_view name,
                                         const WriteOptions& options) {
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  if (absl::Status s = internal::ValidateName("feature view name", name); !s.ok()) return s;
  const absl::Time now = Now();
  return Write(options, [&](Transaction& tx) -> absl::Status {
    WriteContext write(tx, now, options);
    for (ObjectKind kind : kAnyViewOrder) {
      absl::StatusOr<std::optional<ObjectRow>> existing =
          tx.GetObject(kind, project, name, Lock::kForUpdate);
      if (!existing.ok()) return existing.status();
      if (!existing->has_value()) continue;
      absl::StatusOr<bool> deleted = tx.DeleteObject(kind, project, name);
      if (!deleted.ok()) return deleted.status();
      if (absl::Status s = tx.DeleteVersions(project, name); !s.ok()) return s;
      return write.Committed(kind, project, name, ChangeOp::kDelete, (*existing)->version + 1, {});
    }
    return FeatureViewNotFound(name, project);
  });
}

absl::Status Registry::ApplyFeatureService(absl::string_view project,
                                           const feast::core::FeatureService& service,
                                           const WriteOptions& options) {
  bool ready = true;
  for (const auto& projection : service.spec().features()) {
    if (projection.feature_columns_size() == 0) ready = false;
    for (const auto& column : projection.feature_columns()) ready &= column.value_type() != 0;
  }
  if (ready) return Apply(project, service, options);
  // Fill the projections from the stored views (Feast's prepare_for_apply).
  feast::core::FeatureService prepared = service;
  for (auto& projection : *prepared.mutable_spec()->mutable_features()) {
    absl::StatusOr<feast::registry::AnyFeatureView> view =
        GetAnyFeatureView(project, projection.feature_view_name(), /*allow_cache=*/true);
    if (absl::IsNotFound(view.status())) {
      return FeastObjectNotFound(absl::StrCat("Feature view '", projection.feature_view_name(),
                                              "' not found in project '", project, "'"));
    }
    if (!view.ok()) return view.status();
    const auto& features = FeaturesOf(*view);
    if (projection.feature_columns_size() == 0) {
      *projection.mutable_feature_columns() = features;
      continue;
    }
    google::protobuf::RepeatedPtrField<feast::core::FeatureSpecV2> resolved;
    for (const auto& wanted : projection.feature_columns()) {
      for (const auto& feature : features) {
        if (feature.name() == wanted.name()) *resolved.Add() = feature;
      }
    }
    *projection.mutable_feature_columns() = std::move(resolved);
  }
  return Apply(project, prepared, options);
}

absl::Status Registry::ApplyMaterialization(absl::string_view project, absl::string_view view_name,
                                            const google::protobuf::Timestamp& start,
                                            const google::protobuf::Timestamp& end,
                                            const WriteOptions& options) {
  if (absl::Status s = internal::ValidateNames(ObjectKind::kFeatureView, project, view_name);
      !s.ok()) {
    return s;
  }
  const absl::Time now = Now();
  return Write(options, [&](Transaction& tx) -> absl::Status {
    WriteContext write(tx, now, options);
    // The row lock makes read-append-write atomic against every other writer of this view.
    absl::StatusOr<std::optional<ObjectRow>> existing =
        tx.GetObject(ObjectKind::kFeatureView, project, view_name, Lock::kForUpdate);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return FeatureViewNotFound(view_name, project);
    absl::StatusOr<feast::core::FeatureView> view = Decode<feast::core::FeatureView>(**existing);
    if (!view.ok()) return view.status();
    feast::core::MaterializationInterval* interval =
        view->mutable_meta()->add_materialization_intervals();
    *interval->mutable_start_time() = start;
    *interval->mutable_end_time() = end;
    view->mutable_meta()->set_state(feast::core::AVAILABLE_ONLINE);
    *view->mutable_meta()->mutable_last_updated_timestamp() = write.now_proto();
    ObjectRow row{std::string(project), std::string(view_name), view->SerializeAsString(),
                  write.now_seconds(), (*existing)->version + 1};
    if (absl::Status s = tx.UpdateObject(ObjectKind::kFeatureView, row); !s.ok()) return s;
    return write.Committed(ObjectKind::kFeatureView, project, view_name, ChangeOp::kUpdate,
                           row.version, std::move(row.proto));
  });
}

}  // namespace larder::registry
