// The registry's feature-view operations that span kinds: feature-service preparation,
// DeleteFeatureView, GetAnyFeatureView, ListAllFeatureViews and ApplyMaterialization.
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "server/registry/feast_errors.h"
#include "server/registry/kinds.h"
#include "server/registry/registry.h"
#include "server/registry/registry_internal.h"

namespace larder::registry {
namespace {

using internal::Decode;
using storage::ObjectKind;
using storage::ObjectRow;

// Decodes a row of view kind `kind` into the matching arm of an AnyFeatureView.
absl::StatusOr<feast::registry::AnyFeatureView> DecodeAny(ObjectKind kind, const ObjectRow& row) {
  absl::StatusOr<feast::registry::AnyFeatureView> any =
      absl::InternalError("not a feature-view kind");
  VisitKind(kind, [&]<typename Message>() {
    if constexpr (kIsViewKind<Message>) {
      absl::StatusOr<Message> view = Decode<Message>(row);
      if (!view.ok()) {
        any = view.status();
        return;
      }
      any = feast::registry::AnyFeatureView();
      SetAnyView(*any, *std::move(view));
    }
  });
  return any;
}

// The view inside an AnyFeatureView, for sorting.
const google::protobuf::Message& Inner(const feast::registry::AnyFeatureView& any) {
  const google::protobuf::Message* inner = &any.feature_view();
  VisitAnyView(any, [&](const auto& view) { inner = &view; });
  return *inner;
}

// The features of any view kind.
const google::protobuf::RepeatedPtrField<feast::core::FeatureSpecV2>& FeaturesOf(
    const feast::registry::AnyFeatureView& any) {
  const auto* features = &any.feature_view().spec().features();
  VisitAnyView(any, [&](const auto& view) { features = &view.spec().features(); });
  return *features;
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
  const auto* tags = &any.feature_view().spec().tags();
  VisitAnyView(any, [&](const auto& view) { tags = &view.spec().tags(); });
  return *tags;
}

const google::protobuf::Timestamp* LastUpdated(const feast::registry::AnyFeatureView& any) {
  const google::protobuf::Timestamp* updated = nullptr;
  VisitAnyView(any, [&](const auto& view) {
    if (view.meta().has_last_updated_timestamp()) updated = &view.meta().last_updated_timestamp();
  });
  return updated;
}

}  // namespace

absl::StatusOr<feast::registry::AnyFeatureView> Registry::GetAnyFeatureView(
    absl::string_view project, absl::string_view name, bool allow_cache) {
  for (ObjectKind kind : internal::kAnyViewOrder) {
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

absl::StatusOr<StoredViewPage> Registry::ListAllFeatureViewsStored(
    absl::string_view project, const feast::registry::PaginationParams& pagination,
    bool allow_cache) {
  // The kinds in ListAllFeatureViews' order; without a sort key its list keeps this order and
  // each kind's rows in name order.
  constexpr ObjectKind kKinds[] = {ObjectKind::kFeatureView, ObjectKind::kStreamFeatureView,
                                   ObjectKind::kOnDemandFeatureView};
  StoredViewPage page;
  page.project_fields.reserve(std::size(kKinds));
  std::vector<StoredViewPage::Item> all;
  for (ObjectKind kind : kKinds) {
    absl::StatusOr<RowList> rows = Rows(kind, project, allow_cache);
    if (!rows.ok()) return rows.status();
    int field = 0;
    VisitKind(kind, [&]<typename Message>() {
      if constexpr (kIsViewKind<Message>) {
        field = feast::registry::AnyFeatureView::descriptor()
                    ->FindFieldByName(std::string(ObjectTraits<Message>::kAnyViewField))
                    ->number();
      }
    });
    page.project_fields.push_back(internal::ProjectFieldBytes(kind, project));
    for (const RowRef& row : *rows) all.push_back({row, field, &page.project_fields.back()});
  }
  size_t begin = 0, end = 0;
  page.pagination = Paginate(all.size(), pagination, begin, end);
  page.items.assign(std::make_move_iterator(all.begin() + static_cast<ptrdiff_t>(begin)),
                    std::make_move_iterator(all.begin() + static_cast<ptrdiff_t>(end)));
  return page;
}

absl::Status Registry::DeleteFeatureView(absl::string_view project, absl::string_view name,
                                         const WriteOptions& options) {
  return Write(options, [&](RegistryWrite& write) {
    return write.DeleteFeatureView(project, name).status();
  });
}

absl::Status Registry::ApplyFeatureService(absl::string_view project,
                                           const feast::core::FeatureService& service,
                                           const WriteOptions& options) {
  return Apply(project, service, options);
}

absl::Status Registry::ApplyMaterialization(absl::string_view project, absl::string_view view_name,
                                            const google::protobuf::Timestamp& start,
                                            const google::protobuf::Timestamp& end,
                                            const WriteOptions& options) {
  return Write(options, [&](RegistryWrite& write) {
    return write.ApplyMaterialization(project, view_name, start, end).status();
  });
}

}  // namespace larder::registry
