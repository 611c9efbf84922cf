#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "feast/core/Entity.pb.h"
#include "feast/core/FeatureView.pb.h"
#include "feast/core/Project.pb.h"
#include "server/registry/feast_errors.h"
#include "storage/object_kind.h"

namespace larder::registry {

// What the generic registry code needs to know about one Feast message type: its storage kind,
// where its name, project, tags and server-owned timestamps live, and its Feast not-found error.
// One specialization per kind; the registry's apply/get/list/delete logic is written once.
template <typename Message>
struct ObjectTraits;

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

// Kinds whose whole definition is their spec: "unchanged" means the spec is identical.
struct SpecIsContent {
  static constexpr bool kVersioned = false;
  template <typename Message>
  static bool SameContent(const Message& stored, const Message& incoming) {
    return DeterministicBytes(stored.spec()) == DeterministicBytes(incoming.spec());
  }
  template <typename Message>
  static void InheritFromStored(Message&, const Message&) {}
};

template <>
struct ObjectTraits<feast::core::Project> : SpecIsContent {
  using Message = feast::core::Project;
  static constexpr storage::ObjectKind kKind = storage::ObjectKind::kProject;
  static const std::string& Name(const Message& m) { return m.spec().name(); }
  static void SetProject(Message&, absl::string_view) {}
  static const auto& Tags(const Message& m) { return m.spec().tags(); }
  static auto* MutableMeta(Message& m) { return m.mutable_meta(); }
  static absl::Status NotFound(absl::string_view name, absl::string_view) {
    return ProjectNotFound(name);
  }
};

template <>
struct ObjectTraits<feast::core::Entity> : SpecIsContent {
  using Message = feast::core::Entity;
  static constexpr storage::ObjectKind kKind = storage::ObjectKind::kEntity;
  static const std::string& Name(const Message& m) { return m.spec().name(); }
  static void SetProject(Message& m, absl::string_view p) { m.mutable_spec()->set_project(std::string(p)); }
  static const auto& Tags(const Message& m) { return m.spec().tags(); }
  static auto* MutableMeta(Message& m) { return m.mutable_meta(); }
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return EntityNotFound(name, project);
  }
};

template <>
struct ObjectTraits<feast::core::FeatureView> {
  using Message = feast::core::FeatureView;
  static constexpr storage::ObjectKind kKind = storage::ObjectKind::kFeatureView;
  // Feature views keep a version history (Feast's feature_view_version_history).
  static constexpr bool kVersioned = true;
  static constexpr absl::string_view kVersionType = "feature_view";
  // What makes a new version: Feast bumps it when the schema changes (features, entities,
  // entity columns, source views), not for descriptions, tags or sources.
  static std::string SchemaKey(const Message& m) {
    feast::core::FeatureViewSpec schema;
    *schema.mutable_features() = m.spec().features();
    *schema.mutable_entities() = m.spec().entities();
    *schema.mutable_entity_columns() = m.spec().entity_columns();
    *schema.mutable_source_views() = m.spec().source_views();
    return DeterministicBytes(schema);
  }
  static void SetVersionNumber(Message& m, int32_t n) {
    m.mutable_meta()->set_current_version_number(n);
  }
  static int32_t VersionNumber(const Message& m) { return m.meta().current_version_number(); }
  static const std::string& PinnedVersion(const Message& m) { return m.spec().version(); }
  static const std::string& Name(const Message& m) { return m.spec().name(); }
  static void SetProject(Message& m, absl::string_view p) { m.mutable_spec()->set_project(std::string(p)); }
  static const auto& Tags(const Message& m) { return m.spec().tags(); }
  static auto* MutableMeta(Message& m) { return m.mutable_meta(); }
  static absl::Status NotFound(absl::string_view name, absl::string_view project) {
    return FeatureViewNotFound(name, project);
  }
  // Materialization intervals and the state are part of what a feature view is: a change of
  // either is a change (Feast ignores state, so its state updates are silently dropped).
  static bool SameContent(const Message& stored, const Message& incoming) {
    if (DeterministicBytes(stored.spec()) != DeterministicBytes(incoming.spec())) return false;
    if (stored.meta().state() != incoming.meta().state()) return false;
    feast::core::FeatureViewMeta a, b;
    *a.mutable_materialization_intervals() = stored.meta().materialization_intervals();
    *b.mutable_materialization_intervals() = incoming.meta().materialization_intervals();
    return DeterministicBytes(a) == DeterministicBytes(b);
  }
  // An apply without intervals keeps the stored ones (Feast's update_materialization_intervals).
  static void InheritFromStored(Message& incoming, const Message& stored) {
    if (incoming.meta().materialization_intervals_size() == 0) {
      *incoming.mutable_meta()->mutable_materialization_intervals() =
          stored.meta().materialization_intervals();
    }
  }
};

}  // namespace larder::registry
