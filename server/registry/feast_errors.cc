#include "server/registry/feast_errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace larder::registry {
namespace {
constexpr absl::string_view kFeastClassPayload = "type.larder.dev/feast-exception-class";
}  // namespace

absl::Status FeastError(absl::StatusCode code, absl::string_view feast_class,
                        absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kFeastClassPayload, absl::Cord(feast_class));
  return status;
}

std::optional<std::string> FeastClassOf(const absl::Status& status) {
  auto payload = status.GetPayload(kFeastClassPayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

absl::Status ProjectNotFound(absl::string_view name) {
  return FeastError(absl::StatusCode::kNotFound, "ProjectObjectNotFoundException",
                    absl::StrCat("Project ", name, " does not exist"));
}

absl::Status EntityNotFound(absl::string_view name, absl::string_view project) {
  return FeastError(absl::StatusCode::kNotFound, "EntityNotFoundException",
                    absl::StrCat("Entity ", name, " does not exist in project ", project));
}

absl::Status FeatureViewNotFound(absl::string_view name, absl::string_view project) {
  return FeastError(absl::StatusCode::kNotFound, "FeatureViewNotFoundException",
                    absl::StrCat("Feature view ", name, " does not exist in project ", project));
}

}  // namespace larder::registry
