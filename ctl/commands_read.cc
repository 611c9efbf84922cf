// status, projects, list, get, describe: reading the current registry.
#include <memory>
#include <ostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ctl/change_text.h"
#include "ctl/commands.h"
#include "ctl/registry_view.h"
#include "ctl/summary.h"
#include "ctl/yaml_json.h"

namespace larder::ctl {
namespace {

struct ObjectArgs {
  std::string kind;
  std::string name;
  std::string project;
};

absl::StatusOr<Kind> ParseKind(const std::string& text) {
  std::optional<Kind> kind = FindKind(text);
  if (!kind.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown kind \"", text, "\" (one of: ", KindNames(), ")"));
  }
  return *kind;
}

CommandResult Status(Context& ctx) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::GetServerInfoResponse> info = (*c)->GetServerInfo();
  if (!info.ok()) return info.status();
  if (*format != Format::kTable) {
    PrintStructured(ctx.out(),
                    PrependMember("address", JsonQuote(ctx.options().address),
                                  MessageJson(*info, /*with_defaults=*/true)),
                    *format);
    return kExitOk;
  }
  PrintFields(
      ctx.out(),
      {{"Address", ctx.options().address},
       {"Server version", info->server_version()},
       {"Backend", info->backend()},
       {"Revision", absl::StrCat(info->current_revision())},
       {"Schema version", absl::StrCat(info->schema_version())},
       {"History kept after", info->retained_after_revision() == 0
                                  ? "everything kept"
                                  : absl::StrCat("revision ", info->retained_after_revision())},
       {"Staged Feast writes", absl::StrCat(info->staged_feast_writes(), " in ",
                                            info->staged_feast_sessions(), " sessions")}});
  return kExitOk;
}

CommandResult Projects(Context& ctx) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<feast::core::Registry> registry = (*c)->Proto();
  if (!registry.ok()) return registry.status();
  std::vector<std::string> items;
  Table table({"NAME", "OBJECTS", "DESCRIPTION", "UPDATED"});
  const Kind project_kind = *FindKind("project");
  for (const std::string& name : ProjectsIn(*registry)) {
    size_t objects = 0;
    for (const Kind& kind : AllKinds()) {
      if (kind.name == "project") continue;
      for (const auto* object : ObjectsOf(*registry, kind)) objects += ProjectOf(*object) == name;
    }
    const google::protobuf::Message* project = FindObject(*registry, project_kind, name, name);
    const feast::core::Project empty;
    const auto& p = project ? static_cast<const feast::core::Project&>(*project) : empty;
    table.AddRow({name, absl::StrCat(objects), p.spec().description(), UpdatedText(p)});
    items.push_back(JsonObject({{"name", JsonQuote(name)},
                                {"objects", absl::StrCat(objects)},
                                {"project", project ? ObjectDocument("project", p) : "null"}}));
  }
  if (*format == Format::kTable) {
    table.Print(ctx.out());
  } else {
    PrintStructured(ctx.out(), JsonArray(items), *format);
  }
  return kExitOk;
}

CommandResult List(Context& ctx, const ObjectArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<Kind> kind = ParseKind(args.kind);
  if (!kind.ok()) return kind.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<feast::core::Registry> registry = (*c)->Proto();
  if (!registry.ok()) return registry.status();

  const bool all_projects = args.project.empty();
  std::vector<std::string> headers = {"NAME"};
  if (all_projects) headers.push_back("PROJECT");
  for (std::string& header : SummaryHeaders(*kind)) headers.push_back(std::move(header));
  headers.push_back("UPDATED");
  Table table(headers);
  std::vector<std::string> items;
  for (const google::protobuf::Message* object : ObjectsOf(*registry, *kind)) {
    if (!all_projects && ProjectOf(*object) != args.project) continue;
    std::vector<std::string> row = {NameOf(*object)};
    if (all_projects) row.push_back(ProjectOf(*object));
    for (std::string& cell : SummaryCells(*kind, *object)) row.push_back(std::move(cell));
    row.push_back(UpdatedText(*object));
    table.AddRow(std::move(row));
    items.push_back(ObjectDocument(std::string(kind->name), *object));
  }
  if (*format == Format::kTable) {
    if (table.empty()) {
      ctx.err() << "no " << kind->registry_field
                << (all_projects ? std::string() : " in project " + args.project) << "\n";
    } else {
      table.Print(ctx.out());
    }
  } else {
    PrintStructured(
        ctx.out(), JsonObject({{"kind", JsonQuote("List")}, {"items", JsonArray(items)}}), *format);
  }
  return kExitOk;
}

// The one object `args` names; without a project, the only project that has it.
absl::StatusOr<const google::protobuf::Message*> Lookup(const feast::core::Registry& registry,
                                                        const Kind& kind, const ObjectArgs& args) {
  std::vector<const google::protobuf::Message*> found;
  std::vector<std::string> projects;
  for (const google::protobuf::Message* object : ObjectsOf(registry, kind)) {
    if (NameOf(*object) != args.name) continue;
    if (!args.project.empty() && ProjectOf(*object) != args.project) continue;
    found.push_back(object);
    projects.push_back(ProjectOf(*object));
  }
  if (found.empty()) {
    return absl::NotFoundError(
        absl::StrCat(kind.name, " \"", args.name, "\" not found",
                     args.project.empty() ? std::string(" in any project")
                                          : absl::StrCat(" in project \"", args.project, "\"")));
  }
  if (found.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(kind.name, " \"", args.name,
                                                   "\" exists in several projects (",
                                                   absl::StrJoin(projects, ", "), "): give -p"));
  }
  return found[0];
}

CommandResult Get(Context& ctx, const ObjectArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<Kind> kind = ParseKind(args.kind);
  if (!kind.ok()) return kind.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<feast::core::Registry> registry = (*c)->Proto();
  if (!registry.ok()) return registry.status();
  absl::StatusOr<const google::protobuf::Message*> object = Lookup(*registry, *kind, args);
  if (!object.ok()) return object.status();
  if (*format != Format::kTable) {
    PrintStructured(ctx.out(), ObjectDocument(std::string(kind->name), **object), *format);
    return kExitOk;
  }
  std::vector<std::string> headers = {"NAME", "PROJECT"};
  for (std::string& header : SummaryHeaders(*kind)) headers.push_back(std::move(header));
  headers.push_back("UPDATED");
  Table table(headers);
  std::vector<std::string> row = {NameOf(**object), ProjectOf(**object)};
  for (std::string& cell : SummaryCells(*kind, **object)) row.push_back(std::move(cell));
  row.push_back(UpdatedText(**object));
  table.AddRow(std::move(row));
  table.Print(ctx.out());
  return kExitOk;
}

CommandResult Describe(Context& ctx, const ObjectArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<Kind> kind = ParseKind(args.kind);
  if (!kind.ok()) return kind.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<feast::core::Registry> registry = (*c)->Proto();
  if (!registry.ok()) return registry.status();
  absl::StatusOr<const google::protobuf::Message*> object = Lookup(*registry, *kind, args);
  if (!object.ok()) return object.status();
  const std::string project = ProjectOf(**object);
  absl::StatusOr<v1::GetObjectHistoryResponse> history =
      (*c)->GetObjectHistory(project, std::string(kind->name), args.name);
  if (!history.ok()) return history.status();

  const std::string document = ObjectDocument(std::string(kind->name), **object);
  if (*format != Format::kTable) {
    std::vector<std::string> changes;
    for (const v1::Change& change : history->changes()) {
      changes.push_back(ChangeJson(change, /*with_object=*/false));
    }
    PrintStructured(ctx.out(), JsonObject({{"object", document}, {"history", JsonArray(changes)}}),
                    *format);
    return kExitOk;
  }
  std::vector<std::pair<std::string, std::string>> fields = {{"Kind", std::string(kind->name)},
                                                             {"Name", args.name},
                                                             {"Project", project},
                                                             {"Created", CreatedText(**object)},
                                                             {"Updated", UpdatedText(**object)}};
  const std::vector<std::string> headers = SummaryHeaders(*kind);
  const std::vector<std::string> cells = SummaryCells(*kind, **object);
  for (size_t i = 0; i < headers.size(); ++i) {
    std::string label = headers[i];
    if (label.size() > 3) {  // "FEATURES" -> "Features", but "TTL" stays
      label = absl::AsciiStrToLower(label);
      label[0] = absl::ascii_toupper(label[0]);
    }
    fields.push_back({label, cells[i]});
  }
  if (history->changes_size() > 0) {
    const v1::Change& last = history->changes(history->changes_size() - 1);
    fields.push_back({"Version", absl::StrCat(last.object_version())});
    fields.push_back(
        {"Last change", absl::StrCat("revision ", last.revision(), ", ", last.operation(), " by ",
                                     last.actor().empty() ? "-" : last.actor())});
  }
  PrintFields(ctx.out(), fields);
  ctx.out() << "\nDefinition:\n";
  std::ostringstream yaml;
  PrintStructured(yaml, document, Format::kYaml);
  std::istringstream lines(yaml.str());
  for (std::string line; std::getline(lines, line);) ctx.out() << "  " << line << "\n";
  if (history->changes_size() > 0) {
    ctx.out() << "\nHistory:\n";
    Table table(ChangeHeaders(false));
    for (const v1::Change& change : history->changes()) table.AddRow(ChangeCells(change, false));
    std::ostringstream rows;
    table.Print(rows);
    std::istringstream row_lines(rows.str());
    for (std::string line; std::getline(row_lines, line);) ctx.out() << "  " << line << "\n";
  }
  return kExitOk;
}

void AddObjectArgs(CLI::App* command, ObjectArgs& args, bool with_name) {
  command->add_option("kind", args.kind, "object kind: " + KindNames())->required();
  if (with_name) command->add_option("name", args.name, "object name")->required();
  command->add_option("-p,--project", args.project, "project (default: every project)")
      ->envname("LARDER_PROJECT");
}

}  // namespace

void AddReadCommands(CLI::App& app, Context& ctx) {
  app.add_subcommand("status", "server version, backend, current revision, schema version")
      ->callback([&ctx] { ctx.Finish(Status(ctx)); });
  app.add_subcommand("projects", "list the projects and how many objects each has")
      ->callback([&ctx] { ctx.Finish(Projects(ctx)); });

  auto list_args = std::make_shared<ObjectArgs>();
  CLI::App* list = app.add_subcommand("list", "list the objects of one kind");
  AddObjectArgs(list, *list_args, false);
  list->callback([&ctx, list_args] { ctx.Finish(List(ctx, *list_args)); });

  auto get_args = std::make_shared<ObjectArgs>();
  CLI::App* get =
      app.add_subcommand("get", "show one object (-o yaml|json: a document apply reads)");
  AddObjectArgs(get, *get_args, true);
  get->callback([&ctx, get_args] { ctx.Finish(Get(ctx, *get_args)); });

  auto describe_args = std::make_shared<ObjectArgs>();
  CLI::App* describe = app.add_subcommand("describe", "one object in full, with its history");
  AddObjectArgs(describe, *describe_args, true);
  describe->callback([&ctx, describe_args] { ctx.Finish(Describe(ctx, *describe_args)); });
}

}  // namespace larder::ctl
