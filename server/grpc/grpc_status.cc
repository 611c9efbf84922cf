#include "server/grpc/grpc_status.h"

#include "absl/strings/match.h"
#include "google/rpc/status.pb.h"
#include "server/registry/feast_errors.h"

namespace larder::grpc_edge {
grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (std::optional<std::string> feast_class = registry::FeastClassOf(status)) {
    return grpc::Status(code, FeastErrorDetailsJson(*feast_class, status.message()));
  }
  // Typed details (a status payload keyed by its type URL, e.g. larder.v1.VersionConflicts) go
  // out as google.rpc.Status in the grpc-status-details-bin trailer.
  google::rpc::Status rich;
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    if (!absl::StartsWith(type_url, "type.googleapis.com/")) return;
    google::protobuf::Any* any = rich.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  if (rich.details_size() > 0) {
    rich.set_code(static_cast<int32_t>(code));
    rich.set_message(std::string(status.message()));
    return grpc::Status(code, std::string(status.message()), rich.SerializeAsString());
  }
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace larder::grpc_edge
