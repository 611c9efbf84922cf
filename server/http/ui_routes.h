#pragma once

#include "server/http/rest_call.h"
#include "server/http/router.h"
#include "server/http/static_files.h"

namespace larder::http {

// The Feast web UI's routes, as Feast's ui_server.py serves them: /projects-list.json built from
// the registry's projects (each pointing the UI at this server's /api/v1), and every other GET
// outside /api/ answered from the UI's build folder (index.html for "/" and deep links).
// `caller` and `ui` are not owned and must outlive the router; `ui` may be null (no UI built:
// those paths answer 404 saying how to get it).
void AddUiRoutes(Router& router, const RestCaller& caller, const StaticFiles* ui);

}  // namespace larder::http
