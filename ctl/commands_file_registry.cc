// import and export: Feast's file registry (a serialized feast.core.Registry, what
// `registry_type: file` reads and writes) into Larder and back (docs/cli.md).
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "ctl/commands.h"
#include "ctl/plan_text.h"
#include "ctl/registry_view.h"
#include "ctl/summary.h"
#include "ctl/yaml_json.h"

namespace larder::ctl {
namespace {

struct ImportArgs {
  std::string file;
  std::string project;  // only this project of the file
  bool dry_run = false;
  bool detailed_exitcode = false;
  bool force = false;
  // Test hook (a hidden option): between the plan and the write, create `<hold>.ready` and wait
  // until `<hold>` exists, so a test can land a concurrent write exactly there.
  std::string hold;
};

// Waits for the test hook's go-ahead (see ImportArgs::hold).
void HoldBeforeWrite(const std::string& hold) {
  if (hold.empty()) return;
  std::ofstream(hold + ".ready") << "planned\n";
  while (!std::ifstream(hold).good()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

struct ExportArgs {
  std::string file;
  std::string project;
  std::optional<int64_t> at_revision;
};

absl::StatusOr<feast::core::Registry> ReadRegistryFile(const std::string& path) {
  std::ostringstream bytes;
  if (path == "-") {
    bytes << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    bytes << in.rdbuf();
  }
  feast::core::Registry registry;
  if (!registry.ParseFromString(bytes.str())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a Feast registry file (a serialized feast.core.Registry)"));
  }
  return registry;
}

// One line of the import report.
struct ImportLine {
  std::string project, kind, name, result;
};

std::string EffectWord(v1::Effect effect, bool dry_run) {
  switch (effect) {
    case v1::CREATED:
      return dry_run ? "would create" : "created";
    case v1::UPDATED:
      return dry_run ? "would update" : "updated";
    case v1::UNCHANGED:
      return "unchanged";
    default:
      return "?";
  }
}

// What Larder holds for one project besides its objects, read before an import plans.
struct ProjectExtras {
  std::string project_uuid;                 // empty: none (e.g. no such project yet)
  std::optional<feast::core::Infra> infra;  // nullopt: none, or an empty one
  std::map<std::pair<std::string, int32_t>, feast::core::FeatureViewVersionRecord> versions;
};

absl::StatusOr<ProjectExtras> ReadProjectExtras(client::RegistryClient& c,
                                                const std::string& project) {
  ProjectExtras extras;
  feast::registry::ListProjectMetadataRequest metadata_request;
  metadata_request.set_project(project);
  feast::registry::ListProjectMetadataResponse metadata;
  absl::Status status = c.Call(&feast::registry::RegistryServer::Stub::ListProjectMetadata,
                               metadata_request, &metadata, client::Idempotency::kIdempotent);
  if (!status.ok()) return status;
  for (const feast::core::ProjectMetadata& m : metadata.project_metadata()) {
    if (m.project() == project) extras.project_uuid = m.project_uuid();
  }
  feast::registry::GetInfraRequest infra_request;
  infra_request.set_project(project);
  feast::core::Infra infra;
  status = c.Call(&feast::registry::RegistryServer::Stub::GetInfra, infra_request, &infra,
                  client::Idempotency::kIdempotent);
  if (!status.ok()) return status;
  if (infra.ByteSizeLong() > 0) extras.infra = std::move(infra);
  v1::ListFeatureViewVersionsRequest versions_request;
  versions_request.set_project(project);
  v1::ListFeatureViewVersionsResponse versions;
  status = c.Call(&v1::Registry::Stub::ListFeatureViewVersions, versions_request, &versions,
                  client::Idempotency::kIdempotent);
  if (!status.ok()) return status;
  for (const feast::core::FeatureViewVersionRecord& r : versions.records()) {
    extras.versions[{r.feature_view_name(), r.version_number()}] = r;
  }
  return extras;
}

// Whether Larder's saved version is the file's: Larder keeps the creation time to the second.
bool SameVersion(const feast::core::FeatureViewVersionRecord& ours,
                 const feast::core::FeatureViewVersionRecord& theirs) {
  return ours.feature_view_type() == theirs.feature_view_type() &&
         ours.feature_view_proto() == theirs.feature_view_proto() &&
         ours.created_timestamp().seconds() == theirs.created_timestamp().seconds() &&
         ours.description() == theirs.description() && ours.version_id() == theirs.version_id();
}

// Imports one project's objects as one batch: a dry run first to learn what would change, then
// (unless --dry-run) the batch itself, both pinned to the revision read before, so a write that
// lands in between makes the import fail whole instead of half-applying. The batch keeps the
// file's meta (preserve_meta: timestamps, version numbers) and carries the project's UUID, its
// saved feature-view versions and the file's infra.
absl::Status ImportProject(client::RegistryClient& c, const feast::core::Registry& file,
                           const std::string& project, const ImportArgs& args,
                           std::vector<ImportLine>& report, size_t& objects, bool& changes) {
  absl::StatusOr<v1::GetServerInfoResponse> info = c.GetServerInfo();
  if (!info.ok()) return info.status();
  absl::StatusOr<feast::core::Registry> current = c.Proto();
  if (!current.ok()) return current.status();
  absl::StatusOr<ProjectExtras> extras = ReadProjectExtras(c, project);
  if (!extras.ok()) return extras.status();

  v1::ApplyBatchRequest request;
  request.set_project(project);
  request.set_expected_revision(info->current_revision());
  request.set_preserve_meta(true);
  std::vector<Kind> kinds;  // of each upsert but the infra, in order
  for (const Kind& kind : AllKinds()) {
    for (const google::protobuf::Message* object : ObjectsOf(file, kind)) {
      if (ProjectOf(*object) != project) continue;
      MutableUpsertObject(*request.add_upserts(), kind)->CopyFrom(*object);
      kinds.push_back(kind);
    }
  }
  if (request.upserts_size() == 0) return absl::OkStatus();
  // The file holds one infra for every project (Feast's file registry answers GetInfra with it
  // whatever the project); Larder keeps one per project, so each imported project gets it.
  const bool with_infra = file.has_infra() && file.infra().ByteSizeLong() > 0;
  if (with_infra) *request.add_upserts()->mutable_infra() = file.infra();
  for (const feast::core::ProjectMetadata& m : ProjectMetadataOf(file)) {
    if (m.project() == project && !m.project_uuid().empty()) {
      request.set_project_uuid(m.project_uuid());
    }
  }
  for (const feast::core::FeatureViewVersionRecord& r :
       file.feature_view_version_history().records()) {
    if (r.project_id() == project) *request.add_version_history() = r;
  }
  request.set_dry_run(true);
  absl::StatusOr<v1::ApplyBatchResponse> plan = c.ApplyBatch(request);
  if (!plan.ok()) return plan.status();

  // Keep what the file would update only where the file's copy is not older than Larder's.
  v1::ApplyBatchRequest batch = request;
  batch.clear_upserts();
  batch.set_dry_run(args.dry_run);
  bool write = false;  // whether anything of the batch changes Larder
  for (int i = 0; i < static_cast<int>(kinds.size()); ++i) {
    const v1::Upsert& upsert = request.upserts(i);
    const google::protobuf::Message& object = UpsertObject(upsert, kinds[i]);
    const v1::Effect effect = i < plan->results_size() ? plan->results(i).effect() : v1::UPDATED;
    ImportLine line{project, std::string(kinds[i].name), NameOf(object), ""};
    const google::protobuf::Message* theirs =
        FindObject(*current, kinds[i], project, NameOf(object));
    if (effect == v1::UPDATED && theirs != nullptr &&
        UpdatedMicros(*theirs) > UpdatedMicros(object) && !args.force) {
      line.result = absl::StrCat("skipped: Larder's copy is newer (", UpdatedText(*theirs), " > ",
                                 UpdatedText(object), "; --force overwrites)");
      report.push_back(line);
      continue;
    }
    line.result = EffectWord(effect, args.dry_run);
    if (effect != v1::UNCHANGED) write = true;
    report.push_back(line);
    *batch.add_upserts() = upsert;
  }
  objects += kinds.size();
  if (with_infra) {
    const int i = static_cast<int>(kinds.size());
    const v1::Effect effect = i < plan->results_size() ? plan->results(i).effect() : v1::UPDATED;
    ImportLine line{project, "infra", "infra_obj", EffectWord(effect, args.dry_run)};
    // Infra carries no timestamps to tell which copy is newer: Larder's own stays unless forced.
    if (effect == v1::UPDATED && !args.force) {
      line.result = "skipped: Larder has other infra for this project (--force overwrites)";
    } else {
      if (effect != v1::UNCHANGED) write = true;
      *batch.add_upserts() = request.upserts(i);
    }
    report.push_back(line);
  }
  if (!request.project_uuid().empty()) {
    ImportLine line{project, "project_uuid", project, "unchanged"};
    if (extras->project_uuid.empty()) {
      line.result =
          absl::StrCat(EffectWord(v1::CREATED, args.dry_run), " ", request.project_uuid());
      write = true;
    } else if (extras->project_uuid != request.project_uuid()) {
      // A project's UUID is its identity to Feast; an existing project keeps its own.
      line.result = absl::StrCat("kept Larder's ", extras->project_uuid, " (the file has ",
                                 request.project_uuid(), ")");
    }
    report.push_back(line);
  }
  for (const feast::core::FeatureViewVersionRecord& r : request.version_history()) {
    ImportLine line{project, "feature_view_version",
                    absl::StrCat(r.feature_view_name(), " v", r.version_number()), "unchanged"};
    auto ours = extras->versions.find({r.feature_view_name(), r.version_number()});
    if (ours == extras->versions.end()) {
      line.result = EffectWord(v1::CREATED, args.dry_run);
      write = true;
    } else if (!SameVersion(ours->second, r)) {
      // Saved versions are history: one Larder already holds is never replaced.
      line.result = "kept Larder's (differs)";
    }
    report.push_back(line);
  }
  if (write) changes = true;
  if (args.dry_run || !write) return absl::OkStatus();
  HoldBeforeWrite(args.hold);
  absl::StatusOr<v1::ApplyBatchResponse> applied = c.ApplyBatch(batch);
  if (!applied.ok()) {
    if (client::RevisionConflictOf(applied.status()).has_value()) {
      // ABORTED: Context::Fail reports it as a conflict (exit 3) with this message.
      return absl::AbortedError(absl::StrCat("project ", project,
                                             ": the registry changed during the import; nothing of "
                                             "this project was applied (run the import again)"));
    }
    return applied.status();
  }
  return absl::OkStatus();
}

CommandResult Import(Context& ctx, const ImportArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<feast::core::Registry> file = ReadRegistryFile(args.file);
  if (!file.ok()) return file.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  std::set<std::string> projects = ProjectsIn(*file);
  if (!args.project.empty()) {
    if (projects.count(args.project) == 0) {
      return absl::NotFoundError(absl::StrCat(args.file, " has no project \"", args.project, "\""));
    }
    projects = {args.project};
  }
  std::vector<ImportLine> report;
  size_t objects = 0;  // registry objects (the report also lists infra, UUIDs and versions)
  bool changes = false;
  absl::Status failed;
  for (const std::string& project : projects) {
    failed = ImportProject(**c, *file, project, args, report, objects, changes);
    if (!failed.ok()) break;
  }
  if (*format == Format::kTable) {
    Table table({"PROJECT", "KIND", "NAME", "RESULT"});
    for (const ImportLine& line : report)
      table.AddRow({line.project, line.kind, line.name, line.result});
    if (!table.empty()) table.Print(ctx.out());
    if (failed.ok()) {
      ctx.out() << (args.dry_run ? "Dry run: nothing was written. " : "") << objects
                << " objects in " << projects.size()
                << (projects.size() == 1 ? " project" : " projects")
                << (changes ? "" : ", nothing to change") << ".\n";
    }
  } else {
    std::vector<std::string> items;
    for (const ImportLine& line : report) {
      items.push_back(JsonObject({{"project", JsonQuote(line.project)},
                                  {"kind", JsonQuote(line.kind)},
                                  {"name", JsonQuote(line.name)},
                                  {"result", JsonQuote(line.result)}}));
    }
    PrintStructured(
        ctx.out(),
        JsonObject({{"dryRun", args.dry_run ? "true" : "false"}, {"objects", JsonArray(items)}}),
        *format);
  }
  if (!failed.ok()) return failed;
  if (args.dry_run && args.detailed_exitcode && changes) return kExitPlanHasChanges;
  return kExitOk;
}

// What a file registry holds besides the objects, for the projects in `out`: each project's
// UUID (project_metadata), and unless `at_revision` (Larder keeps no history of them) the
// saved feature-view versions and the infra. The file has one infra: with several projects,
// the last one's (by name) that has any, as Feast's SQL registry's proto() picks one.
absl::Status AddProjectExtras(client::RegistryClient& c, bool at_revision,
                              feast::core::Registry& out) {
  for (const std::string& project : ProjectsIn(out)) {
    absl::StatusOr<ProjectExtras> extras = ReadProjectExtras(c, project);
    if (!extras.ok()) return extras.status();
    if (!extras->project_uuid.empty()) {
      feast::core::ProjectMetadata* m = MutableProjectMetadataOf(out).Add();
      m->set_project(project);
      m->set_project_uuid(extras->project_uuid);
    }
    if (at_revision) continue;
    if (extras->infra.has_value()) *out.mutable_infra() = *extras->infra;
    for (auto& [key, record] : extras->versions) {
      *out.mutable_feature_view_version_history()->add_records() = std::move(record);
    }
  }
  return absl::OkStatus();
}

CommandResult Export(Context& ctx, const ExportArgs& args) {
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<feast::core::Registry> registry =
      args.at_revision.has_value() ? (*c)->GetRegistryAt(*args.at_revision, args.project)
                                   : (*c)->Proto();
  if (!registry.ok()) return registry.status();
  feast::core::Registry out = FilterProject(*registry, args.project);
  // Feast's file registry is schema version "1"; it reads a file without one as well.
  if (out.registry_schema_version().empty()) out.set_registry_schema_version("1");
  if (absl::Status s = AddProjectExtras(**c, args.at_revision.has_value(), out); !s.ok()) return s;
  std::string bytes;
  out.SerializeToString(&bytes);
  if (args.file == "-") {
    std::cout << bytes;
    std::cout.flush();
  } else {
    // Written next to the target and renamed, so a failed export never leaves half a file.
    const std::string temp = args.file + ".larderctl-tmp";
    {
      std::ofstream file(temp, std::ios::binary | std::ios::trunc);
      file << bytes;
      if (!file.good()) {
        return absl::InternalError(absl::StrCat("cannot write ", temp));
      }
    }
    if (std::rename(temp.c_str(), args.file.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("cannot write ", args.file));
    }
  }
  size_t objects = 0;
  for (const Kind& kind : AllKinds()) objects += ObjectsOf(out, kind).size();
  // The report goes to stderr when the registry itself goes to stdout.
  std::ostream& report = args.file == "-" ? ctx.err() : ctx.out();
  const size_t project_count = ProjectsIn(out).size();
  report << "Exported " << objects << " objects of " << project_count
         << (project_count == 1 ? " project" : " projects")
         << (args.at_revision ? absl::StrCat(" at revision ", *args.at_revision) : "") << " to "
         << (args.file == "-" ? "stdout" : args.file) << ".\n";
  return kExitOk;
}

}  // namespace

void AddFileRegistryCommands(CLI::App& app, Context& ctx) {
  auto import_args = std::make_shared<ImportArgs>();
  CLI::App* import = app.add_subcommand(
      "import", "load a Feast file registry (registry.db) into Larder, one batch per project");
  import->add_option("file", import_args->file, "the registry file (- for stdin)")->required();
  import->add_option("-p,--project", import_args->project, "import only this project");
  import->add_flag("--dry-run", import_args->dry_run, "report what would change, write nothing");
  import->add_flag("--detailed-exitcode", import_args->detailed_exitcode,
                   "with --dry-run: exit 2 when the import would change something");
  import->add_flag("--force", import_args->force,
                   "also overwrite objects Larder changed after the file's copy");
  // Hidden (no group): only tests use it.
  import->add_option("--hold-before-write", import_args->hold)->group("");
  import->callback([&ctx, import_args] { ctx.Finish(Import(ctx, *import_args));
});

auto export_args = std::make_shared<ExportArgs>();
CLI::App* exp = app.add_subcommand(
    "export", "write the registry as a Feast registry file (registry_type: file)");
exp->add_option("-o,--output,--file", export_args->file, "file to write (- for stdout)")
    ->required();
exp->add_option("-p,--project", export_args->project, "only this project");
exp->add_option("--at-revision", export_args->at_revision,
                "the registry as it was at this revision");
exp->callback([&ctx, export_args] { ctx.Finish(Export(ctx, *export_args)); });
}  // namespace larder::ctl

}  // namespace larder::ctl
