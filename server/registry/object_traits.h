#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "feast/core/DataSource.pb.h"
#include "feast/core/Entity.pb.h"
#include "feast/core/FeatureService.pb.h"
#include "feast/core/FeatureView.pb.h"
#include "feast/core/LabelView.pb.h"
#include "feast/core/OnDemandFeatureView.pb.h"
#include "feast/core/Permission.pb.h"
#include "feast/core/Project.pb.h"
#include "feast/core/SavedDataset.pb.h"
#include "feast/core/StreamFeatureView.pb.h"
#include "feast/core/ValidationProfile.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "server/registry/feast_errors.h"
#include "storage/object_kind.h"

namespace larder::registry {

// Deterministic bytes of a message (map entries in key order), for change detection.
inline std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

// What the generic registry code needs to know about one Feast message type: its storage kind,
// its field in feast.core.Registry (kRegistryField) and, for views, in AnyFeatureView
// (kAnyViewField), the type Feast's permissions see it as (kPermissionType), where its name,
// project, tags and server-owned timestamps live, what counts as a change, and its Feast
// not-found error. kinds.h lists the message types; nothing else enumerates them. The registry's
// apply/get/list/delete logic is written once, over these. Most kinds share the spec/meta shape of
// SpecMetaTraits; the rest override pieces.
template <typename Message>
struct ObjectTraits;

// Messages shaped {spec{name, project, tags}, meta{created_timestamp, last_updated_timestamp}}
// whose whole definition is their spec.
template <typename M, storage::ObjectKind K>
struct SpecMetaTraits {
  using Message = M;
  static constexpr storage::ObjectKind kKind = K;
  static constexpr bool kVersioned = false;
  static constexpr bool kHasTimestamps = true;
  static const std::string& Name(const M& m) { return m.spec().name(); }
  static void SetProject(M& m, absl::string_view p) {
    m.mutable_spec()->set_project(std::string(p));
  }
  static const auto& Tags(const M& m) { return m.spec().tags(); }
  static const google::protobuf::Timestamp* Created(const M& m) {
    return m.meta().has_created_timestamp() ? &m.meta().created_timestamp() : nullptr;
  }
  static const google::protobuf::Timestamp* LastUpdated(const M& m) {
    return m.meta().has_last_updated_timestamp() ? &m.meta().last_updated_timestamp() : nullptr;
  }
  static void SetTimestamps(M& m, const google::protobuf::Timestamp& created,
                            const google::protobuf::Timestamp& updated) {
    *m.mutable_meta()->mutable_created_timestamp() = created;
    *m.mutable_meta()->mutable_last_updated_timestamp() = updated;
  }
  static bool SameContent(const M& stored, const M& incoming) {
    return DeterministicBytes(stored.spec()) == DeterministicBytes(incoming.spec());
  }
  static void InheritFromStored(M&, const M&) {}
};

template <>
struct ObjectTraits<feast::core::Project>
    : SpecMetaTraits<feast::core::Project, storage::ObjectKind::kProject> {
  static constexpr absl::string_view kRegistryField = "projects";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::PROJECT;
  static void SetProject(Message&, absl::string_view) {}  // a project has no project field
  static absl::Status NotFound(absl::string_view name, absl::string_view) {
    return ProjectNotFound(name);
  }
};

template <>
struct ObjectTraits<feast::core::Entity>
    : SpecMetaTraits<feast::core::Entity, storage::ObjectKind::kEntity> {
  static constexpr absl::string_view kRegistryField = "entities";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::ENTITY;
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return EntityNotFound(name, project);
  }
};

template <>
struct ObjectTraits<feast::core::FeatureService>
    : SpecMetaTraits<feast::core::FeatureService, storage::ObjectKind::kFeatureService> {
  static constexpr absl::string_view kRegistryField = "feature_services";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::FEATURE_SERVICE;
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return FeatureServiceNotFound(name, project);
  }
};

template <>
struct ObjectTraits<feast::core::SavedDataset>
    : SpecMetaTraits<feast::core::SavedDataset, storage::ObjectKind::kSavedDataset> {
  static constexpr absl::string_view kRegistryField = "saved_datasets";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::SAVED_DATASET;
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return SavedDatasetNotFound(name, project);
  }
};

template <>
struct ObjectTraits<feast::core::Permission>
    : SpecMetaTraits<feast::core::Permission, storage::ObjectKind::kPermission> {
  static constexpr absl::string_view kRegistryField = "permissions";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::PERMISSION;
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return PermissionNotFound(name, project);
  }
};

template <>
struct ObjectTraits<feast::core::LabelView>
    : SpecMetaTraits<feast::core::LabelView, storage::ObjectKind::kLabelView> {
  static constexpr absl::string_view kRegistryField = "label_views";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::LABEL_VIEW;
  static constexpr absl::string_view kAnyViewField = "label_view";
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return FeatureViewNotFound(name, project);
  }
};

// Data sources keep name, project and tags at the top level and their timestamps in `meta`.
template <>
struct ObjectTraits<feast::core::DataSource>
    : SpecMetaTraits<feast::core::DataSource, storage::ObjectKind::kDataSource> {
  static constexpr absl::string_view kRegistryField = "data_sources";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::DATA_SOURCE;
  static const std::string& Name(const Message& m) { return m.name(); }
  static void SetProject(Message& m, absl::string_view p) { m.set_project(std::string(p)); }
  static const auto& Tags(const Message& m) { return m.tags(); }
  // Everything but the server-owned meta and the project we fill in is the definition.
  static bool SameContent(const Message& stored, const Message& incoming) {
    Message a = stored, b = incoming;
    a.clear_meta();
    b.clear_meta();
    b.set_project(a.project());
    return DeterministicBytes(a) == DeterministicBytes(b);
  }
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return DataSourceNotFound(name, project);
  }
};

// Validation references have no timestamps: Feast rewrites them on every apply.
template <>
struct ObjectTraits<feast::core::ValidationReference>
    : SpecMetaTraits<feast::core::ValidationReference, storage::ObjectKind::kValidationReference> {
  static constexpr absl::string_view kRegistryField = "validation_references";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::VALIDATION_REFERENCE;
  static constexpr bool kHasTimestamps = false;
  static const std::string& Name(const Message& m) { return m.name(); }
  static void SetProject(Message& m, absl::string_view p) { m.set_project(std::string(p)); }
  static const auto& Tags(const Message& m) { return m.tags(); }
  static const google::protobuf::Timestamp* Created(const Message&) { return nullptr; }
  static const google::protobuf::Timestamp* LastUpdated(const Message&) { return nullptr; }
  static void SetTimestamps(Message&, const google::protobuf::Timestamp&,
                            const google::protobuf::Timestamp&) {}
  static bool SameContent(const Message& stored, const Message& incoming) {
    Message b = incoming;
    b.set_project(stored.project());
    return DeterministicBytes(stored) == DeterministicBytes(b);
  }
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return ValidationReferenceNotFound(name, project);
  }
};

// Feature views and stream feature views: materialization intervals and the state are part of
// what the view is (a change of either is a change: Feast ignores state, so its state updates
// are silently dropped), an apply without intervals keeps the stored ones, and they keep a
// version history whose number moves when the schema changes.
template <typename M, storage::ObjectKind K>
struct MaterializedViewTraits : SpecMetaTraits<M, K> {
  static constexpr bool kVersioned = true;
  static bool SameContent(const M& stored, const M& incoming) {
    if (DeterministicBytes(stored.spec()) != DeterministicBytes(incoming.spec())) return false;
    if (stored.meta().state() != incoming.meta().state()) return false;
    feast::core::FeatureViewMeta a, b;
    *a.mutable_materialization_intervals() = stored.meta().materialization_intervals();
    *b.mutable_materialization_intervals() = incoming.meta().materialization_intervals();
    return DeterministicBytes(a) == DeterministicBytes(b);
  }
  static void InheritFromStored(M& incoming, const M& stored) {
    if (incoming.meta().materialization_intervals_size() == 0) {
      *incoming.mutable_meta()->mutable_materialization_intervals() =
          stored.meta().materialization_intervals();
    }
  }
  static void SetVersionNumber(M& m, int32_t n) { m.mutable_meta()->set_current_version_number(n); }
  static int32_t VersionNumber(const M& m) { return m.meta().current_version_number(); }
  static const std::string& PinnedVersion(const M& m) { return m.spec().version(); }
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return FeatureViewNotFound(name, project);
  }
};

template <>
struct ObjectTraits<feast::core::FeatureView>
    : MaterializedViewTraits<feast::core::FeatureView, storage::ObjectKind::kFeatureView> {
  static constexpr absl::string_view kRegistryField = "feature_views";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::FEATURE_VIEW;
  static constexpr absl::string_view kAnyViewField = "feature_view";
  static constexpr absl::string_view kVersionType = "feature_view";
  // Feast starts a new version when features, entities, entity columns or source views change.
  static std::string SchemaKey(const Message& m) {
    feast::core::FeatureViewSpec schema;
    *schema.mutable_features() = m.spec().features();
    *schema.mutable_entities() = m.spec().entities();
    *schema.mutable_entity_columns() = m.spec().entity_columns();
    *schema.mutable_source_views() = m.spec().source_views();
    return DeterministicBytes(schema);
  }
};

template <>
struct ObjectTraits<feast::core::StreamFeatureView>
    : MaterializedViewTraits<feast::core::StreamFeatureView,
                             storage::ObjectKind::kStreamFeatureView> {
  static constexpr absl::string_view kRegistryField = "stream_feature_views";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::STREAM_FEATURE_VIEW;
  static constexpr absl::string_view kAnyViewField = "stream_feature_view";
  static constexpr absl::string_view kVersionType = "stream_feature_view";
  // Also the transformation, aggregations, timestamp field and mode.
  static std::string SchemaKey(const Message& m) {
    feast::core::StreamFeatureViewSpec schema;
    *schema.mutable_features() = m.spec().features();
    *schema.mutable_entities() = m.spec().entities();
    *schema.mutable_entity_columns() = m.spec().entity_columns();
    *schema.mutable_aggregations() = m.spec().aggregations();
    *schema.mutable_feature_transformation() = m.spec().feature_transformation();
    schema.set_timestamp_field(m.spec().timestamp_field());
    schema.set_mode(m.spec().mode());
    return DeterministicBytes(schema);
  }
};

template <>
struct ObjectTraits<feast::core::OnDemandFeatureView>
    : SpecMetaTraits<feast::core::OnDemandFeatureView, storage::ObjectKind::kOnDemandFeatureView> {
  static constexpr absl::string_view kRegistryField = "on_demand_feature_views";
  static constexpr auto kPermissionType = feast::core::PermissionSpec::ON_DEMAND_FEATURE_VIEW;
  static constexpr absl::string_view kAnyViewField = "on_demand_feature_view";
  static constexpr bool kVersioned = true;
  static constexpr absl::string_view kVersionType = "on_demand_feature_view";
  static bool SameContent(const Message& stored, const Message& incoming) {
    return DeterministicBytes(stored.spec()) == DeterministicBytes(incoming.spec()) &&
           stored.meta().state() == incoming.meta().state();
  }
  // Features, transformation, mode and sources.
  static std::string SchemaKey(const Message& m) {
    feast::core::OnDemandFeatureViewSpec schema;
    *schema.mutable_features() = m.spec().features();
    *schema.mutable_feature_transformation() = m.spec().feature_transformation();
    schema.set_mode(m.spec().mode());
    *schema.mutable_sources() = m.spec().sources();
    return DeterministicBytes(schema);
  }
  static void SetVersionNumber(Message& m, int32_t n) {
    m.mutable_meta()->set_current_version_number(n);
  }
  static int32_t VersionNumber(const Message& m) { return m.meta().current_version_number(); }
  static const std::string& PinnedVersion(const Message& m) { return m.spec().version(); }
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return FeatureViewNotFound(name, project);
  }
};

}  // namespace larder::registry
