// apply and rollback: one atomic larder.v1 ApplyBatch each.
#include <algorithm>
#include <memory>
#include <optional>
#include <ostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ctl/commands.h"
#include "ctl/input.h"
#include "ctl/plan_text.h"
#include "ctl/registry_view.h"

namespace larder::ctl {
namespace {

struct ApplyArgs {
  std::vector<std::string> files;
  std::string project;
  bool dry_run = false;
  bool detailed_exitcode = false;
  std::optional<int64_t> expected_revision;
  bool prune = false;
  std::string owner;
};

struct RollbackArgs {
  std::string kind;
  std::string name;
  std::string project;
  std::optional<int64_t> to_version;
  std::optional<int64_t> to_revision;
  bool dry_run = false;
  bool detailed_exitcode = false;
};

// The position of an Upsert's kind in AllKinds(): dependencies are applied first.
size_t KindRank(const v1::Upsert& upsert) {
  const std::optional<Kind> kind = KindOfUpsert(upsert);
  const auto& kinds = AllKinds();
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (kind.has_value() && kinds[i].name == kind->name) return i;
  }
  return kinds.size();
}

// Sends `request` and prints the outcome; exit 2 for a dry run with changes when asked.
CommandResult SendBatch(Context& ctx, v1::ApplyBatchRequest& request, bool detailed_exitcode) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  std::stable_sort(
      request.mutable_upserts()->begin(), request.mutable_upserts()->end(),
      [](const v1::Upsert& a, const v1::Upsert& b) { return KindRank(a) < KindRank(b); });
  absl::StatusOr<v1::ApplyBatchResponse> response = (*c)->ApplyBatch(request);
  if (!response.ok()) return response.status();
  PrintPlan(ctx.out(), request.project(), *response, *format);
  if (request.dry_run() && detailed_exitcode && HasChanges(*response)) return kExitPlanHasChanges;
  return kExitOk;
}

CommandResult Apply(Context& ctx, const ApplyArgs& args) {
  absl::StatusOr<std::vector<InputObject>> objects = ReadObjects(args.files);
  if (!objects.ok()) return objects.status();
  if (objects->empty() && !args.prune) return absl::InvalidArgumentError("no objects to apply");
  std::set<std::string> projects;
  v1::ApplyBatchRequest request;
  for (InputObject& object : *objects) {
    const Kind kind = *KindOfUpsert(object.upsert);
    google::protobuf::Message& message = *MutableUpsertObject(object.upsert, kind);
    if (NameOf(message).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(object.origin, ": ", kind.name, " has no name"));
    }
    std::string project = ProjectOf(message);
    if (project.empty()) {
      if (args.project.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(object.origin, ": ", kind.name, " \"",
                                                       NameOf(message),
                                                       "\" names no project: give -p"));
      }
      SetProject(message, args.project);
      project = args.project;
    }
    projects.insert(project);
    *request.add_upserts() = std::move(object.upsert);
  }
  if (!args.project.empty()) projects.insert(args.project);
  if (projects.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the objects belong to several projects (", absl::StrJoin(projects, ", "),
                     "); one apply is one atomic batch in one project: apply them separately"));
  }
  if (projects.empty()) return absl::InvalidArgumentError("give -p PROJECT");
  request.set_project(*projects.begin());
  request.set_dry_run(args.dry_run);
  request.set_prune(args.prune);
  request.set_owner(args.owner);
  if (args.expected_revision.has_value()) request.set_expected_revision(*args.expected_revision);
  return SendBatch(ctx, request, args.detailed_exitcode);
}

// One object back to a version from its history.
CommandResult RollbackObject(Context& ctx, const RollbackArgs& args) {
  std::optional<Kind> kind = FindKind(args.kind);
  if (!kind.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown kind \"", args.kind, "\" (one of: ", KindNames(), ")"));
  }
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::GetObjectHistoryResponse> history =
      (*c)->GetObjectHistory(args.project, std::string(kind->name), args.name);
  if (!history.ok()) return history.status();
  if (history->changes_size() == 0) {
    return absl::NotFoundError(absl::StrCat("no history for ", kind->name, " \"", args.name,
                                            "\" in project \"", args.project, "\""));
  }
  const v1::Change* wanted = nullptr;
  for (const v1::Change& change : history->changes()) {
    if (change.object_version() == *args.to_version && change.operation() != "delete" &&
        !change.object().empty()) {
      wanted = &change;
    }
  }
  if (wanted == nullptr) {
    return absl::NotFoundError(absl::StrCat(kind->name, " \"", args.name, "\" has no version ",
                                            *args.to_version,
                                            " in its history (see larderctl history)"));
  }
  const v1::Change& last = history->changes(history->changes_size() - 1);
  const int64_t current = last.operation() == "delete" ? 0 : last.object_version();

  v1::ApplyBatchRequest request;
  request.set_project(args.project);
  request.set_dry_run(args.dry_run);
  v1::Upsert* upsert = request.add_upserts();
  if (!MutableUpsertObject(*upsert, *kind)->ParseFromString(wanted->object())) {
    return absl::DataLossError("the recorded object does not parse");
  }
  // Only if nobody changed the object since we read its history.
  upsert->set_expected_version(current);
  return SendBatch(ctx, request, args.detailed_exitcode);
}

// A whole project back to how it was at a revision: every object of then, and nothing else.
CommandResult RollbackProject(Context& ctx, const RollbackArgs& args) {
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::GetServerInfoResponse> info = (*c)->GetServerInfo();
  if (!info.ok()) return info.status();
  absl::StatusOr<feast::core::Registry> then = (*c)->GetRegistryAt(*args.to_revision, args.project);
  if (!then.ok()) return then.status();
  v1::ApplyBatchRequest request;
  request.set_project(args.project);
  request.set_dry_run(args.dry_run);
  // Objects that did not exist then are deleted; the batch commits only if nothing changed
  // since the revision we read.
  request.set_prune(true);
  request.set_expected_revision(info->current_revision());
  for (const Kind& kind : AllKinds()) {
    for (const google::protobuf::Message* object : ObjectsOf(*then, kind)) {
      if (ProjectOf(*object) != args.project) continue;
      MutableUpsertObject(*request.add_upserts(), kind)->CopyFrom(*object);
    }
  }
  if (request.upserts_size() == 0) {
    return absl::NotFoundError(absl::StrCat("project \"", args.project,
                                            "\" had no objects at revision ", *args.to_revision));
  }
  return SendBatch(ctx, request, args.detailed_exitcode);
}

CommandResult Rollback(Context& ctx, const RollbackArgs& args) {
  if (args.project.empty()) return absl::InvalidArgumentError("rollback needs -p PROJECT");
  if (args.to_version.has_value() == args.to_revision.has_value()) {
    return absl::InvalidArgumentError(
        "give either KIND NAME --to-version N, or --to-revision R (the whole project)");
  }
  if (args.to_version.has_value()) {
    if (args.kind.empty() || args.name.empty()) {
      return absl::InvalidArgumentError("--to-version needs KIND and NAME");
    }
    return RollbackObject(ctx, args);
  }
  if (!args.kind.empty()) {
    return absl::InvalidArgumentError("--to-revision rolls back a whole project: drop KIND NAME");
  }
  return RollbackProject(ctx, args);
}

}  // namespace

void AddWriteCommands(CLI::App& app, Context& ctx) {
  auto apply_args = std::make_shared<ApplyArgs>();
  CLI::App* apply = app.add_subcommand(
      "apply", "create or update objects from YAML/JSON files, in one atomic batch");
  apply->add_option("-f,--filename", apply_args->files, "file, directory or - (stdin)")->required();
  apply
      ->add_option("-p,--project", apply_args->project,
                   "project of objects that name none (and the batch's project)")
      ->envname("LARDER_PROJECT");
  apply->add_flag("--dry-run", apply_args->dry_run, "print the plan, change nothing");
  apply->add_flag("--detailed-exitcode", apply_args->detailed_exitcode,
                  "with --dry-run: exit 2 when the plan has changes");
  apply->add_option("--expect-revision", apply_args->expected_revision,
                    "apply only if the registry is still at this revision (else exit 3)");
  apply->add_flag("--prune", apply_args->prune,
                  "also delete the project's objects not in the files");
  apply->add_option("--owner", apply_args->owner,
                    "record this owner on created objects; --prune deletes only its objects");
  apply->callback([&ctx, apply_args] { ctx.Finish(Apply(ctx, *apply_args)); });

  auto rollback_args = std::make_shared<RollbackArgs>();
  CLI::App* rollback = app.add_subcommand(
      "rollback", "restore an object version, or a whole project at a revision, atomically");
  rollback->add_option("kind", rollback_args->kind, "object kind (with --to-version)");
  rollback->add_option("name", rollback_args->name, "object name (with --to-version)");
  rollback->add_option("-p,--project", rollback_args->project, "project")
      ->envname("LARDER_PROJECT");
  rollback->add_option("--to-version", rollback_args->to_version,
                       "the object version to restore (see larderctl history)");
  rollback->add_option("--to-revision", rollback_args->to_revision,
                       "restore the whole project as it was at this revision");
  rollback->add_flag("--dry-run", rollback_args->dry_run, "print the plan, change nothing");
  rollback->add_flag("--detailed-exitcode", rollback_args->detailed_exitcode,
                     "with --dry-run: exit 2 when the plan has changes");
  rollback->callback([&ctx, rollback_args] { ctx.Finish(Rollback(ctx, *rollback_args)); });
}

}  // namespace larder::ctl
