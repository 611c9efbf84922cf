#pragma once

#include <string>

#include "server/http/proto_json.h"

namespace larder::http {

// The field-by-field difference between two JSON documents (two versions of a registry object as
// the REST API renders them), for the web UI's History tab: one entry per leaf that was added,
// removed or changed, as {"path", "change", "from", "to"} ("from" absent for added, "to" absent
// for removed), in document order. Paths name object keys with dots ("spec.ttl") and array items
// by their "name" when every item of the array has a distinct one ("spec.features[conv_rate]"),
// else by index ("spec.entities[0]"), so inserting a feature shows as one added feature instead of
// every later feature changing.
Json JsonDiff(const Json& from, const Json& to);

}  // namespace larder::http
