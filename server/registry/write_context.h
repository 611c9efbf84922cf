#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "storage/store.h"

namespace larder::registry {

class Access;

// Who asks for a write, and the client's id for the request. A request id makes retries
// exactly-once: a write whose request id already appears in the change log is not applied again.
// `access`, when set, is the caller's Feast permissions: every mutation checks them inside its own
// transaction (not owned; nullptr when auth is off).
struct WriteOptions {
  std::string request_id;
  std::string actor;
  const Access* access = nullptr;
  // Applies store objects as sent, client meta included, for copying a registry kept elsewhere
  // (larder.v1 ApplyBatchRequest.preserve_meta; RegistryWrite::Apply says what changes).
  bool preserve_meta = false;
};

// The per-transaction bookkeeping every registry write shares: the server-owned timestamp, the
// project's auto-creation and metadata rows, and the change-log entry. Not thread-safe; lives
// inside one Store::Run body.
class WriteContext {
 public:
  // `tx` and `options` are borrowed for the duration of the transaction.
  WriteContext(storage::Transaction& tx, absl::Time now, const WriteOptions& options)
      : tx_(tx), now_(now), options_(options) {}

  absl::Time now() const { return now_; }
  int64_t now_seconds() const { return absl::ToUnixSeconds(now_); }
  google::protobuf::Timestamp now_proto() const;

  // Creates the project row (a bare Project) and its project_uuid metadata when absent, in this
  // transaction. Returns ABORTED when a concurrent writer created it first, so Store::Run
  // retries the whole write (which then sees the project).
  // `lock` is the lock taken on the project row: kShared for ordinary writes, kForUpdate for
  // writes that must exclude each other within the project (feature-view creation).
  absl::Status EnsureProject(absl::string_view project,
                             storage::Lock lock = storage::Lock::kShared);
  // Ensures the project's project_uuid metadata row exists.
  absl::Status EnsureProjectUuid(absl::string_view project);

  // Records an effective write: bumps feast_metadata(project, last_updated_timestamp) as Feast
  // does and queues the change-log entry.
  absl::Status Committed(storage::ObjectKind kind, absl::string_view project,
                         absl::string_view name, storage::ChangeOp op, int64_t version,
                         std::string proto_after);
  // The two halves of Committed, for a write that logs several changes of one project (a group
  // of appends) and stamps the project once.
  absl::Status TouchProject(absl::string_view project);
  void LogChange(storage::ObjectKind kind, absl::string_view project, absl::string_view name,
                 storage::ChangeOp op, int64_t version, std::string proto_after);

 private:
  storage::Transaction& tx_;
  const absl::Time now_;
  const WriteOptions& options_;
};

// A random RFC 4122 version-4 UUID, as Feast's uuid4() makes.
std::string NewUuid4();

// Microsecond truncation, as Feast's Python datetimes have.
absl::Time TruncateToMicros(absl::Time t);
google::protobuf::Timestamp ToProto(absl::Time t);

}  // namespace larder::registry
