#pragma once

#include "server/http/rest_call.h"
#include "server/http/router.h"

namespace larder::http {

// Adds Feast's REST registry API (v0.66, `feast serve_registry --rest-api`) under /api/v1 to
// `router`: the read endpoints over the service layer, 501 for those needing an offline store,
// a feature server or monitoring data. `caller` is not owned and must outlive the router.
void AddFeastRestApi(Router& router, const RestCaller& caller);

}  // namespace larder::http
