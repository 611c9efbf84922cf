#include "server/registry/write_context.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "feast/core/Project.pb.h"

namespace larder::registry {
std::string NewUuid4() {
  absl::BitGen gen;
  uint64_t hi = absl::Uniform<uint64_t>(gen), lo = absl::Uniform<uint64_t>(gen);
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                         lo >> 48, lo & 0xffffffffffffULL);
}

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

google::protobuf::Timestamp ToProto(absl::Time t) {
  const int64_t micros = absl::ToUnixMicros(t);
  google::protobuf::Timestamp ts;
  int64_t seconds = micros / 1000000, rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rest * 1000));
  return ts;
}

google::protobuf::Timestamp WriteContext::now_proto() const { return ToProto(now_); }

absl::Status WriteContext::EnsureProjectUuid(absl::string_view project) {
  return tx_.InsertMetadataIfAbsent(project, "project_uuid", NewUuid4(), now_seconds()).status();
}

absl::Status WriteContext::EnsureProject(absl::string_view project, storage::Lock lock) {
  // A shared lock: a concurrent DeleteProject (exclusive) either finishes first (and the project
  // is re-created here) or waits for this write, so no object is ever left in a deleted project,
  // while writers of one project do not queue behind each other here.
  absl::StatusOr<std::optional<storage::ObjectRow>> existing =
      tx_.GetObject(storage::ObjectKind::kProject, project, project, lock);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return absl::OkStatus();
  feast::core::Project bare;
  bare.mutable_spec()->set_name(std::string(project));
  *bare.mutable_meta()->mutable_created_timestamp() = now_proto();
  *bare.mutable_meta()->mutable_last_updated_timestamp() = now_proto();
  storage::ObjectRow row{std::string(project), std::string(project), bare.SerializeAsString(),
                         now_seconds(), 1};
  absl::Status inserted = tx_.InsertObject(storage::ObjectKind::kProject, row);
  if (absl::IsAlreadyExists(inserted)) {
    return absl::AbortedError("project created concurrently; retrying");
  }
  if (!inserted.ok()) return inserted;
  if (absl::Status s = EnsureProjectUuid(project); !s.ok()) return s;
  return Committed(storage::ObjectKind::kProject, project, project, storage::ChangeOp::kCreate, 1,
                   std::move(row.proto));
}

absl::Status WriteContext::Committed(storage::ObjectKind kind, absl::string_view project,
                                     absl::string_view name, storage::ChangeOp op, int64_t version,
                                     std::string proto_after) {
  // After a project's own deletion there is no project left to stamp.
  if (!(kind == storage::ObjectKind::kProject && op == storage::ChangeOp::kDelete)) {
    if (absl::Status bumped = TouchProject(project); !bumped.ok()) return bumped;
  }
  LogChange(kind, project, name, op, version, std::move(proto_after));
  return absl::OkStatus();
}

absl::Status WriteContext::TouchProject(absl::string_view project) {
  return tx_.StampProject(project, now_seconds());
}

void WriteContext::LogChange(storage::ObjectKind kind, absl::string_view project,
                             absl::string_view name, storage::ChangeOp op, int64_t version,
                             std::string proto_after) {
  storage::ChangeRecord change;
  change.project = std::string(project);
  change.kind = kind;
  change.name = std::string(name);
  change.op = op;
  change.object_version = version;
  change.changed_at_micros = absl::ToUnixMicros(now_);
  change.proto = std::move(proto_after);
  change.request_id = options_.request_id;
  change.actor = options_.actor;
  tx_.RecordChange(std::move(change));
}

}  // namespace larder::registry
