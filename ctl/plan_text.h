#pragma once

// How the outcome of an ApplyBatch (a plan when dry-run) is shown by apply, rollback and import.

#include <ostream>
#include <string>

#include "ctl/output.h"
#include "larder/v1/registry.pb.h"

namespace larder::ctl {

// Whether any object would be (or was) created, updated or deleted.
bool HasChanges(const v1::ApplyBatchResponse& response);

// The per-object table and a summary line ("Plan: 1 to create, ..." for a dry run,
// "Applied: ..." otherwise), or the response as JSON/YAML with its project.
void PrintPlan(std::ostream& out, const std::string& project,
               const v1::ApplyBatchResponse& response, Format format);

// "1 created, 2 updated, 0 deleted, 3 unchanged" style counts.
std::string PlanSummary(const v1::ApplyBatchResponse& response);

}  // namespace larder::ctl
