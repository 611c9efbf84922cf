#pragma once

#include "server/http/rest_call.h"
#include "server/http/router.h"

namespace larder::http {

// Adds larder.v1.Materialization's job calls under /api/v1/larder/materialization (what an
// operator or a scheduler drives without a gRPC client):
//   GET  /jobs?project=&state=&limit=   ListJobs (state: pending, running, ... repeatable)
//   POST /jobs                          PlanMaterialization (body: the request as JSON)
//   GET  /jobs/{job_id}?tasks=false     GetJob, with its tasks unless tasks=false
//   POST /jobs/{job_id}/cancel          CancelJob (body: {} or {"reason": "..."})
// Bodies and answers are the larder.v1 messages in protobuf's JSON mapping. A transport over the
// materialization method table, so the bearer token authenticates the call and the same
// permission checks apply as on gRPC. POSTs must say Content-Type: application/json (a browser
// cannot send that cross-origin without asking first). `materialization` is a caller over
// service::MaterializationService; not owned, must outlive the router.
void AddMaterializationRestApi(Router& router, const RestCaller& materialization);

}  // namespace larder::http
