#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "feast/core/Entity.pb.h"
#include "feast/core/FeatureView.pb.h"
#include "feast/core/Project.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/registry/clock.h"
#include "server/registry/list_options.h"
#include "storage/store.h"

namespace larder::registry {

// Feast's registry semantics over a Store: naming rules, project auto-creation, server-owned
// timestamps, change detection, not-found errors, tag filters, sorting and pagination. Every
// mutation is one database transaction that also writes the project row (when auto-created),
// feast_metadata and the change log. No gRPC types here.
//
// Thread-safe. Errors: INVALID_ARGUMENT for bad input (empty names, empty project on a write);
// NOT_FOUND with a Feast exception class (see feast_errors.h) for missing objects; the store's
// UNAVAILABLE/ABORTED/INTERNAL otherwise.
class Registry {
 public:
  // `store` and `clock` are not owned and must outlive the registry.
  Registry(storage::Store& store, Clock& clock) : store_(store), clock_(clock) {}
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  absl::Status ApplyProject(const feast::core::Project& project);
  absl::StatusOr<feast::core::Project> GetProject(absl::string_view name);
  // Projects tagged feast.dev/protected-project=true are not listed (GetProject returns them).
  absl::StatusOr<ListPage<feast::core::Project>> ListProjects(const ListOptions& options);
  // Removes the project and everything in it, version history and metadata included.
  absl::Status DeleteProject(absl::string_view name);

  absl::Status ApplyEntity(absl::string_view project, const feast::core::Entity& entity);
  absl::StatusOr<feast::core::Entity> GetEntity(absl::string_view project, absl::string_view name);
  absl::StatusOr<ListPage<feast::core::Entity>> ListEntities(absl::string_view project,
                                                             const ListOptions& options);
  absl::Status DeleteEntity(absl::string_view project, absl::string_view name);

  // Plain feature views (the other three kinds arrive with the full API).
  absl::Status ApplyFeatureView(absl::string_view project, const feast::core::FeatureView& view);
  absl::StatusOr<feast::core::FeatureView> GetFeatureView(absl::string_view project,
                                                          absl::string_view name);
  // Appends [start, end) to the stored view's materialization intervals and marks it
  // AVAILABLE_ONLINE, under the view's row lock: concurrent calls never lose an interval.
  // NOT_FOUND (FeatureViewNotFoundException) unless a plain feature view of that name exists.
  absl::Status ApplyMaterialization(absl::string_view project, absl::string_view view_name,
                                    const google::protobuf::Timestamp& start,
                                    const google::protobuf::Timestamp& end);

 private:
  template <typename Message>
  absl::Status Apply(absl::string_view project, const Message& incoming);
  template <typename Message>
  absl::StatusOr<Message> Get(absl::string_view project, absl::string_view name);
  template <typename Message>
  absl::StatusOr<std::vector<Message>> ListAll(absl::string_view project,
                                               const ListOptions& options);
  template <typename Message>
  absl::Status Delete(absl::string_view project, absl::string_view name);

  storage::Store& store_;
  Clock& clock_;
};

}  // namespace larder::registry
