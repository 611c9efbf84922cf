#include "server/registry/feast_errors.h"

#include "absl/strings/str_cat.h"

namespace larder::registry {
namespace {
absl::Status NotFoundIn(absl::string_view feast_class, absl::string_view what,
                        absl::string_view name, absl::string_view project) {
  return FeastError(absl::StatusCode::kNotFound, feast_class,
                    absl::StrCat(what, " ", name, " does not exist in project ", project));
}
}  // namespace

absl::Status ProjectNotFound(absl::string_view name) {
  return FeastError(absl::StatusCode::kNotFound, "ProjectObjectNotFoundException",
                    absl::StrCat("Project ", name, " does not exist"));
}

absl::Status EntityNotFound(absl::string_view name, absl::string_view project) {
  return NotFoundIn("EntityNotFoundException", "Entity", name, project);
}

absl::Status FeatureViewNotFound(absl::string_view name, absl::string_view project) {
  return NotFoundIn("FeatureViewNotFoundException", "Feature view", name, project);
}

absl::Status DataSourceNotFound(absl::string_view name, absl::string_view project) {
  return NotFoundIn("DataSourceObjectNotFoundException", "Data source", name, project);
}
absl::Status FeatureServiceNotFound(absl::string_view name, absl::string_view project) {
  return NotFoundIn("FeatureServiceNotFoundException", "Feature service", name, project);
}
absl::Status SavedDatasetNotFound(absl::string_view name, absl::string_view project) {
  return NotFoundIn("SavedDatasetNotFound", "Saved dataset", name, project);
}
absl::Status ValidationReferenceNotFound(absl::string_view name, absl::string_view project) {
  return NotFoundIn("ValidationReferenceNotFound", "Validation reference", name, project);
}
absl::Status PermissionNotFound(absl::string_view name, absl::string_view project) {
  return NotFoundIn("PermissionObjectNotFoundException", "Permission", name, project);
}
absl::Status FeastObjectNotFound(absl::string_view message) {
  return FeastError(absl::StatusCode::kNotFound, "FeastObjectNotFoundException", message);
}
absl::Status FeastPermissionError(absl::string_view details) {
  return FeastError(absl::StatusCode::kPermissionDenied, "FeastPermissionError",
                    absl::StrCat("Permission error:\n", details));
}
absl::Status ConflictingFeatureViewNames(absl::string_view name, absl::string_view existing_type,
                                         absl::string_view new_type) {
  // Larder answers ALREADY_EXISTS where Feast says INTERNAL; clients only read the class.
  return FeastError(absl::StatusCode::kAlreadyExists, "ConflictingFeatureViewNames",
                    absl::StrCat("Feature view name '", name, "' is already used by a ",
                                 existing_type, ". A ", new_type,
                                 " cannot have the same name. Feature view names must be "
                                 "unique across all feature view types in a project."));
}

absl::Status FeatureViewPinConflict(absl::string_view name, absl::string_view version) {
  // INTERNAL as in Feast: clients catch the class, and the status code is Feast's.
  return FeastError(absl::StatusCode::kInternal, "FeatureViewPinConflict",
                    absl::StrCat("Cannot pin feature view '", name, "' to version '", version,
                                 "' while also changing its definition: the definition sent "
                                 "differs from the active one. Either apply the changed "
                                 "definition without a pin (version 'latest'), or pin with the "
                                 "active definition unchanged."));
}
absl::Status ConcurrentVersionConflict(absl::string_view name, int32_t number) {
  return FeastError(absl::StatusCode::kInternal, "ConcurrentVersionConflict",
                    absl::StrCat("Version ", number, " of feature view '", name,
                                 "' was saved by another writer at the same time; apply again."));
}

}  // namespace larder::registry
