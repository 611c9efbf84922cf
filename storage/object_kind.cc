#include "storage/object_kind.h"

#include <array>

namespace larder::storage {
namespace {

constexpr std::array<KindTable, kKindCount> kKindTables = {{
    {ObjectKind::kProject, "project", "projects", "project_id", "project_proto"},
    {ObjectKind::kEntity, "entity", "entities", "entity_name", "entity_proto"},
    {ObjectKind::kDataSource, "data_source", "data_sources", "data_source_name",
     "data_source_proto"},
    {ObjectKind::kFeatureView, "feature_view", "feature_views", "feature_view_name",
     "feature_view_proto"},
    {ObjectKind::kStreamFeatureView, "stream_feature_view", "stream_feature_views",
     "feature_view_name", "feature_view_proto"},
    {ObjectKind::kOnDemandFeatureView, "on_demand_feature_view", "on_demand_feature_views",
     "feature_view_name", "feature_view_proto"},
    {ObjectKind::kLabelView, "label_view", "label_views", "feature_view_name",
     "feature_view_proto"},
    {ObjectKind::kFeatureService, "feature_service", "feature_services", "feature_service_name",
     "feature_service_proto"},
    {ObjectKind::kSavedDataset, "saved_dataset", "saved_datasets", "saved_dataset_name",
     "saved_dataset_proto"},
    {ObjectKind::kValidationReference, "validation_reference", "validation_references",
     "validation_reference_name", "validation_reference_proto"},
    {ObjectKind::kPermission, "permission", "permissions", "permission_name", "permission_proto"},
    {ObjectKind::kInfra, "infra", "managed_infra", "infra_name", "infra_proto"},
}};

// Larder's ledger kinds, in ObjectKind order after kInfra.
constexpr std::array<KindTable, 2> kLedgerKinds = {{
    {ObjectKind::kMaterializationJob, "materialization_job", "larder_materialization_jobs",
     "job_id", ""},
    {ObjectKind::kMaterializationTask, "materialization_task", "larder_materialization_tasks",
     "task_id", ""},
}};

}  // namespace

// Each kind's row sits at the kind's own index.
constexpr bool InKindOrder() {
  for (size_t i = 0; i < kKindTables.size(); ++i) {
    if (static_cast<size_t>(kKindTables[i].kind) != i) return false;
  }
  return true;
}
static_assert(InKindOrder(), "kKindTables must list the kinds in ObjectKind order");
static_assert(static_cast<size_t>(ObjectKind::kMaterializationJob) == kKindCount &&
                  static_cast<size_t>(ObjectKind::kMaterializationTask) == kKindCount + 1,
              "kLedgerKinds must list the ledger kinds in ObjectKind order");

const KindTable& TableOf(ObjectKind kind) {
  const size_t index = static_cast<size_t>(kind);
  return index < kKindCount ? kKindTables[index] : kLedgerKinds[index - kKindCount];
}

absl::Span<const KindTable> AllKindTables() { return kKindTables; }

std::optional<ObjectKind> KindFromName(absl::string_view kind_name) {
  for (const KindTable& t : kKindTables) {
    if (t.kind_name == kind_name) return t.kind;
  }
  for (const KindTable& t : kLedgerKinds) {
    if (t.kind_name == kind_name) return t.kind;
  }
  return std::nullopt;
}

}  // namespace larder::storage
