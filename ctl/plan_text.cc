#include "ctl/plan_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ctl/yaml_json.h"

namespace larder::ctl {
namespace {

std::string EffectText(v1::Effect effect, bool dry_run) {
  switch (effect) {
    case v1::CREATED:
      return dry_run ? "create" : "created";
    case v1::UPDATED:
      return dry_run ? "update" : "updated";
    case v1::DELETED:
      return dry_run ? "delete" : "deleted";
    case v1::UNCHANGED:
      return "unchanged";
    default:
      return "?";
  }
}

std::string VersionText(int64_t version) { return version == 0 ? "-" : absl::StrCat(version); }

}  // namespace

bool HasChanges(const v1::ApplyBatchResponse& response) {
  for (const v1::ObjectResult& result : response.results()) {
    if (result.effect() != v1::UNCHANGED) return true;
  }
  return false;
}

std::string PlanSummary(const v1::ApplyBatchResponse& response) {
  int created = 0, updated = 0, deleted = 0, unchanged = 0;
  for (const v1::ObjectResult& result : response.results()) {
    switch (result.effect()) {
      case v1::CREATED:
        ++created;
        break;
      case v1::UPDATED:
        ++updated;
        break;
      case v1::DELETED:
        ++deleted;
        break;
      default:
        ++unchanged;
    }
  }
  if (response.dry_run()) {
    return absl::StrCat("Plan: ", created, " to create, ", updated, " to update, ", deleted,
                        " to delete, ", unchanged, " unchanged.");
  }
  return absl::StrCat("Applied: ", created, " created, ", updated, " updated, ", deleted,
                      " deleted, ", unchanged, " unchanged.");
}

void PrintPlan(std::ostream& out, const std::string& project,
               const v1::ApplyBatchResponse& response, Format format) {
  if (format != Format::kTable) {
    PrintStructured(
        out,
        PrependMember("project", JsonQuote(project), MessageJson(response, /*with_defaults=*/true)),
        format);
    return;
  }
  if (response.already_applied()) {
    out << "This request had already been applied; nothing was applied again.\n";
  }
  Table table({"KIND", "NAME", response.dry_run() ? "ACTION" : "RESULT", "VERSION"});
  for (const v1::ObjectResult& result : response.results()) {
    std::string version = VersionText(result.old_version());
    if (result.effect() != v1::UNCHANGED) {
      absl::StrAppend(&version, " -> ", VersionText(result.new_version()));
    }
    table.AddRow(
        {result.kind(), result.name(), EffectText(result.effect(), response.dry_run()), version});
  }
  if (!table.empty()) table.Print(out);
  out << PlanSummary(response) << (project.empty() ? "" : " (project " + project + ")") << "\n";
}

}  // namespace larder::ctl
