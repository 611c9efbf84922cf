#include "server/grpc/grpc_status.h"

#include "server/registry/feast_errors.h"

namespace larder::grpc_edge {
grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (std::optional<std::string> feast_class = registry::FeastClassOf(status)) {
    return grpc::Status(code, FeastErrorDetailsJson(*feast_class, status.message()));
  }
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace larder::grpc_edge
