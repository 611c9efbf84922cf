#pragma once

#include "server/http/rest_call.h"
#include "server/http/router.h"

namespace larder::http {

// Adds Larder's own read endpoints under /api/v1/larder (what the web UI's History tab and
// Changes page read): an object's versions, the diff between two of them, and the change feed,
// newest first. A transport over larder.v1's GetObjectHistory, ListChanges and GetServerInfo, so
// the same bearer-token authentication and Feast DESCRIBE filtering apply as on gRPC. `larder` is
// a caller over the larder.v1 method table; not owned, must outlive the router.
void AddLarderRestApi(Router& router, const RestCaller& larder);

}  // namespace larder::http
