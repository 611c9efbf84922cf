#pragma once

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace larder::registry {

// Feast clients re-raise errors by exception class name, so a registry error that corresponds to
// a Feast exception carries that class name as a status payload; the gRPC edge turns it into
// Feast's JSON details. Errors without one (bad input, database trouble) stay plain statuses.
absl::Status FeastError(absl::StatusCode code, absl::string_view feast_class,
                        absl::string_view message);

// The Feast exception class attached by FeastError, if any.
std::optional<std::string> FeastClassOf(const absl::Status& status);

// The Feast exceptions the registry raises (feast.errors, v0.66), with Feast's exact messages.
absl::Status ProjectNotFound(absl::string_view name);
absl::Status EntityNotFound(absl::string_view name, absl::string_view project);
absl::Status FeatureViewNotFound(absl::string_view name, absl::string_view project);

}  // namespace larder::registry
