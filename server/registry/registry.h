#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "feast/core/InfraObject.pb.h"
#include "feast/core/Registry.pb.h"
#include "feast/registry/RegistryServer.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/registry/clock.h"
#include "server/registry/list_options.h"
#include "server/registry/project_objects.h"
#include "server/registry/registry_write.h"
#include "server/registry/snapshot.h"
#include "server/registry/write_context.h"
#include "storage/store.h"

namespace larder::registry {

// One stored object as wire bytes: `row->proto` followed by `project_field` is the serialized
// message Get would return (project filled in). Shares the row, so no copy is made.
struct StoredObject {
  RowRef row;
  std::string project_field;
};

// A page of a List answered as stored bytes: each row's `proto` followed by `project_field` is
// one listed message (the rows are all in one project). Shares the rows, so no copy is made.
struct StoredPage {
  RowList rows;  // in list order
  std::string project_field;
  feast::registry::PaginationMetadata pagination;
};

// A page of ListAllFeatureViews answered as stored bytes: each item is one AnyFeatureView whose
// member `any_field` (the field number of the row's kind) holds the row's `proto` followed by
// `project_field`. Shares the rows, so no copy is made.
struct StoredViewPage {
  struct Item {
    RowRef row;
    int any_field = 0;
    const std::string* project_field = nullptr;  // points into `project_fields`
  };
  std::vector<Item> items;                  // in list order
  std::vector<std::string> project_fields;  // one per view kind
  feast::registry::PaginationMetadata pagination;
};

// The filters of ListAllFeatureViews; empty strings and an unset timestamp mean "any".
struct FeatureViewFilters {
  std::string entity;
  std::string feature;
  std::string feature_service;
  std::string data_source;
  std::optional<google::protobuf::Timestamp> updated_since;
};

// Feast's registry semantics over a Store: reads (tag filters, sorting, pagination, the
// allow_cache snapshot) and writes (Write runs any number of RegistryWrite mutations in one
// database transaction, which also writes the project row when auto-created, feast_metadata and
// the change log). No gRPC types here.
//
// The generic methods (Apply/Get/List/Delete) work for every object kind with an ObjectTraits
// specialization: Entity, DataSource, FeatureView, StreamFeatureView, OnDemandFeatureView,
// LabelView, FeatureService, SavedDataset, ValidationReference, Permission.
//
// Thread-safe. Errors: INVALID_ARGUMENT for bad input (empty names, empty project on a write,
// malformed feature-view names); Feast exception classes (feast_errors.h) for missing or
// conflicting objects; the store's UNAVAILABLE/ABORTED/INTERNAL otherwise.
class Registry {
 public:
  // `store` and `clock` are not owned and must outlive the registry. `full_reload_every` is how
  // often the allow_cache snapshot is reloaded whole, to see writes by non-Larder processes
  // (zero: never).
  Registry(storage::Store& store, Clock& clock,
           absl::Duration full_reload_every = absl::Minutes(10));
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Runs `body` in one read-write transaction: every mutation it makes through the RegistryWrite
  // commits together, or none does (the body's first error rolls everything back). Skipped (OK)
  // when `options.request_id` already committed. May run `body` again on ABORTED, with a fresh
  // RegistryWrite, so it must not keep state across attempts. Notes the write for the snapshot
  // (read-your-writes on this replica).
  absl::Status Write(const WriteOptions& options,
                     absl::FunctionRef<absl::Status(RegistryWrite&)> body);

  // Called after every write transaction (committed or not) of this replica, e.g. to wake the
  // ChangeFollower. Set before the registry is shared between threads.
  void SetLocalWriteObserver(std::function<void()> observer) {
    local_write_observer_ = std::move(observer);
  }

  // Single-object writes: a Write of one mutation (see RegistryWrite for their semantics).
  template <typename Message>
  absl::Status Apply(absl::string_view project, const Message& object,
                     const WriteOptions& options = {});
  template <typename Message>
  absl::StatusOr<Message> Get(absl::string_view project, absl::string_view name,
                              bool allow_cache = false);
  // What Get answers, as the stored bytes (no decode, no re-encode): same lookup, same errors.
  template <typename Message>
  absl::StatusOr<StoredObject> GetStored(absl::string_view project, absl::string_view name,
                                         bool allow_cache = false);
  // What List answers when the request has no tag filter and no sort key (only pagination), as
  // the stored bytes: the same objects, order and pagination metadata, nothing decoded.
  template <typename Message>
  absl::StatusOr<StoredPage> ListStored(absl::string_view project,
                                        const feast::registry::PaginationParams& pagination,
                                        bool allow_cache = false);
  // `keep`, when set, is an extra filter applied after the tag filter.
  template <typename Message>
  absl::StatusOr<ListPage<Message>> List(absl::string_view project, const ListOptions& options,
                                         bool allow_cache = false,
                                         const std::function<bool(const Message&)>& keep = {});
  template <typename Message>
  absl::Status Delete(absl::string_view project, absl::string_view name,
                      const WriteOptions& options = {});

  absl::Status ApplyProject(const feast::core::Project& project, const WriteOptions& options = {});
  absl::StatusOr<feast::core::Project> GetProject(absl::string_view name, bool allow_cache = false);
  // Projects tagged feast.dev/protected-project=true are not listed (GetProject returns them).
  // `keep`, when set, is an extra filter.
  absl::StatusOr<ListPage<feast::core::Project>> ListProjects(
      const ListOptions& options, bool allow_cache = false,
      const std::function<bool(const feast::core::Project&)>& keep = {});
  // Removes the project and everything in it, version history and metadata included.
  absl::Status DeleteProject(absl::string_view name, const WriteOptions& options = {});

  // Fills projections that list no features (or untyped ones) from the stored views, as Feast's
  // prepare_for_apply does, then applies.
  absl::Status ApplyFeatureService(absl::string_view project,
                                   const feast::core::FeatureService& service,
                                   const WriteOptions& options = {});

  // Deletes the view of that name whatever its kind, and its version history.
  absl::Status DeleteFeatureView(absl::string_view project, absl::string_view name,
                                 const WriteOptions& options = {});
  // Looks in FeatureView, OnDemandFeatureView, StreamFeatureView, LabelView order.
  absl::StatusOr<feast::registry::AnyFeatureView> GetAnyFeatureView(absl::string_view project,
                                                                    absl::string_view name,
                                                                    bool allow_cache);
  // FeatureViews, StreamFeatureViews and OnDemandFeatureViews (never label views), filtered;
  // `keep`, when set, is applied last.
  absl::StatusOr<ListPage<feast::registry::AnyFeatureView>> ListAllFeatureViews(
      absl::string_view project, const FeatureViewFilters& filters, const ListOptions& options,
      bool allow_cache,
      const std::function<bool(const feast::registry::AnyFeatureView&)>& keep = {});

  // What ListAllFeatureViews answers with no filter, tag or sort key (only pagination), as the
  // stored bytes: the same views, order and pagination metadata, nothing decoded.
  absl::StatusOr<StoredViewPage> ListAllFeatureViewsStored(
      absl::string_view project, const feast::registry::PaginationParams& pagination,
      bool allow_cache);

  // Appends [start, end) to the stored view's materialization intervals and marks it
  // AVAILABLE_ONLINE, under the view's row lock: concurrent calls never lose an interval.
  // NOT_FOUND (FeatureViewNotFoundException) unless a plain feature view of that name exists.
  absl::Status ApplyMaterialization(absl::string_view project, absl::string_view view_name,
                                    const google::protobuf::Timestamp& start,
                                    const google::protobuf::Timestamp& end,
                                    const WriteOptions& options = {});

  // The project's {project, project_uuid}, or nothing when it has no UUID.
  absl::StatusOr<std::vector<feast::core::ProjectMetadata>> ListProjectMetadata(
      absl::string_view project);
  absl::Status UpdateInfra(absl::string_view project, const feast::core::Infra& infra,
                           const WriteOptions& options = {});
  // The stored Infra, or an empty one.
  absl::StatusOr<feast::core::Infra> GetInfra(absl::string_view project);
  // The project's feature_view_version_history rows (`view_name` empty: every view's), by view
  // name in byte order, then version number.
  absl::StatusOr<std::vector<storage::VersionRecord>> ListFeatureViewVersions(
      absl::string_view project, absl::string_view view_name);

  // Brings the allow_cache snapshot up to date: one change-log query, nothing more when nothing
  // changed. Also what the server's poller calls.
  absl::Status Refresh();
  // Whether an allow_cache read would be answered from memory without touching the database
  // (false right after a local write, until the snapshot has caught up).
  bool CachedReadsReady() { return cache_.Ready(Now()); }
  // The revision the in-memory snapshot is at (0 before its first load).
  int64_t SnapshotRevision() {
    std::shared_ptr<const Snapshot> latest = cache_.Latest();
    return latest == nullptr ? 0 : latest->revision;
  }
  // The whole registry, project by project, at the latest revision; built once per revision.
  absl::StatusOr<std::shared_ptr<const Snapshot>> ProtoSnapshot();

  // The change log: entries after `after_revision`, oldest first, at most `limit` (stops at a
  // revision not yet visible, so a reader continuing after the last one never skips a change).
  absl::StatusOr<std::vector<storage::ChangeRecord>> ListChanges(int64_t after_revision, int limit);
  // The last committed revision (0: nothing committed yet).
  absl::StatusOr<int64_t> CurrentRevision();

  // History retention: compacts the change log through the last revision committed before
  // `older_than` (see storage::RevisionRunsToCompact); as-of reads at or after the new horizon
  // stay exact. Returns the horizon (the log is complete after it) and the entries removed.
  struct Compaction {
    int64_t horizon = 0;
    int64_t removed = 0;
  };
  absl::StatusOr<Compaction> CompactHistory(absl::Time older_than);
  // The revision the change log is complete after (0: nothing compacted).
  absl::StatusOr<int64_t> HistoryHorizon();
  // The compacted part of the log: entries with after < revision <= through (through at most
  // the horizon), gaps and all.
  absl::StatusOr<std::vector<storage::ChangeRecord>> CompactedChanges(int64_t after,
                                                                      int64_t through, int limit);
  // Every change-log entry of one object, oldest first, after `after_revision`, at most `limit`.
  absl::StatusOr<std::vector<storage::ChangeRecord>> ObjectHistory(storage::ObjectKind kind,
                                                                   absl::string_view project,
                                                                   absl::string_view name,
                                                                   int64_t after_revision,
                                                                   int limit);

  // The objects lineage and feature listing look at.
  absl::StatusOr<ProjectObjects> LoadProjectObjects(absl::string_view project, bool allow_cache);

 private:
  // Rows of a kind from the snapshot or the database.
  absl::StatusOr<RowList> Rows(storage::ObjectKind kind, absl::string_view project,
                               bool allow_cache);
  // One row, or nullptr when absent.
  absl::StatusOr<RowRef> Row(storage::ObjectKind kind, absl::string_view project,
                             absl::string_view name, bool allow_cache);
  // One row of Message's kind; the kind's Feast not-found error when absent.
  template <typename Message>
  absl::StatusOr<RowRef> ExistingRow(absl::string_view project, absl::string_view name,
                                     bool allow_cache);
  absl::Time Now();

  storage::Store& store_;
  Clock& clock_;
  SnapshotCache cache_;
  std::function<void()> local_write_observer_;
};

}  // namespace larder::registry
