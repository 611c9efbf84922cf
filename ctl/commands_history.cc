// history, changes, watch, diff: the change log.
#include <iterator>
#include <memory>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ctl/change_text.h"
#include "ctl/commands.h"
#include "ctl/kinds.h"
#include "ctl/yaml_json.h"

namespace larder::ctl {
namespace {

struct HistoryArgs {
  std::string kind;
  std::string name;
  std::string project;
  bool with_objects = false;
};

struct ChangesArgs {
  int64_t since = 0;
  std::string project;
  std::string kind;
  std::string name;
  int64_t limit = 0;  // 0: every change
  int64_t max_changes = 0;
  int heartbeat_s = 10;
  bool with_objects = false;
};

struct DiffArgs {
  int64_t from = 0;
  int64_t to = 0;
  std::string project;
};

absl::StatusOr<std::string> KindName(const std::string& text) {
  if (text.empty()) return std::string();
  std::optional<Kind> kind = FindKind(text);
  if (!kind.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown kind \"", text, "\" (one of: ", KindNames(), ")"));
  }
  return std::string(kind->name);
}

// Rows printed one at a time cannot be measured first: pad to widths that fit most names.
std::string PadCells(const std::vector<std::string>& cells) {
  static constexpr size_t kWidths[] = {8, 12, 22, 28, 9, 7, 12};
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 < cells.size()) {
      const size_t width = i < std::size(kWidths) ? kWidths[i] : 0;
      line += std::string(cells[i].size() < width ? width - cells[i].size() + 2 : 2, ' ');
    }
  }
  return line;
}

CommandResult History(Context& ctx, const HistoryArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<std::string> kind = KindName(args.kind);
  if (!kind.ok()) return kind.status();
  if (args.project.empty()) return absl::InvalidArgumentError("history needs -p PROJECT");
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::GetObjectHistoryResponse> history =
      (*c)->GetObjectHistory(args.project, *kind, args.name);
  if (!history.ok()) return history.status();
  if (history->changes_size() == 0) {
    return absl::NotFoundError(absl::StrCat("no history for ", *kind, " \"", args.name,
                                            "\" in project \"", args.project, "\""));
  }
  if (*format == Format::kTable) {
    Table table(ChangeHeaders(false));
    for (const v1::Change& change : history->changes()) table.AddRow(ChangeCells(change, false));
    table.Print(ctx.out());
    return kExitOk;
  }
  std::vector<std::string> items;
  for (const v1::Change& change : history->changes()) {
    items.push_back(ChangeJson(change, args.with_objects));
  }
  PrintStructured(ctx.out(), JsonArray(items), *format);
  return kExitOk;
}

CommandResult Changes(Context& ctx, const ChangesArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<std::string> kind = KindName(args.kind);
  if (!kind.ok()) return kind.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  v1::ListChangesRequest request;
  request.set_after_revision(args.since);
  request.set_project(args.project);
  request.set_kind(*kind);
  request.set_name(args.name);
  std::vector<v1::Change> changes;
  // Page through the log until it is exhausted or --limit is reached.
  while (true) {
    absl::StatusOr<v1::ListChangesResponse> page = (*c)->ListChanges(request);
    if (!page.ok()) return page.status();
    for (const v1::Change& change : page->changes()) changes.push_back(change);
    if (args.limit > 0 && static_cast<int64_t>(changes.size()) >= args.limit) {
      changes.resize(static_cast<size_t>(args.limit));
      break;
    }
    if (page->changes_size() == 0 || page->next_after_revision() <= request.after_revision()) {
      break;
    }
    request.set_after_revision(page->next_after_revision());
  }
  if (*format == Format::kTable) {
    if (changes.empty()) {
      ctx.err() << "no changes after revision " << args.since << "\n";
      return kExitOk;
    }
    Table table(ChangeHeaders(true));
    for (const v1::Change& change : changes) table.AddRow(ChangeCells(change, true));
    table.Print(ctx.out());
    return kExitOk;
  }
  std::vector<std::string> items;
  for (const v1::Change& change : changes) items.push_back(ChangeJson(change, args.with_objects));
  PrintStructured(ctx.out(), JsonArray(items), *format);
  return kExitOk;
}

// Follows the change log; the client reopens the stream from the last revision seen after a
// disconnect or a server restart, so the output has every change once, in order.
CommandResult Watch(Context& ctx, const ChangesArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<std::string> kind = KindName(args.kind);
  if (!kind.ok()) return kind.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  v1::WatchChangesRequest request;
  int64_t since = args.since;
  if (since < 0) {  // default: from now on
    absl::StatusOr<v1::GetServerInfoResponse> info = (*c)->GetServerInfo();
    if (!info.ok()) return info.status();
    since = info->current_revision();
  }
  request.set_after_revision(since);
  request.set_project(args.project);
  request.set_kind(*kind);
  request.set_name(args.name);
  request.set_heartbeat_seconds(args.heartbeat_s);
  if (*format == Format::kTable) {
    // Rows are printed as they come, so the header is printed with fixed widths once.
    ctx.out() << PadCells(ChangeHeaders(true)) << "\n";
  }
  ctx.out().flush();
  int64_t seen = 0;
  absl::Status status = (*c)->Watch(request, [&](const v1::Change& change) {
    if (*format == Format::kTable) {
      ctx.out() << PadCells(ChangeCells(change, true)) << "\n";
    } else {
      // One JSON document per line (JSON Lines); YAML documents separated by ---.
      const std::string json = ChangeJson(change, args.with_objects);
      if (*format == Format::kJson) {
        ctx.out() << json << "\n";
      } else {
        ctx.out() << "---\n";
        PrintStructured(ctx.out(), json, Format::kYaml);
      }
    }
    ctx.out().flush();
    return args.max_changes <= 0 || ++seen < args.max_changes;
  });
  if (!status.ok()) return status;
  return kExitOk;
}

CommandResult Diff(Context& ctx, const DiffArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  v1::DiffRevisionsRequest request;
  request.set_from_revision(args.from);
  request.set_to_revision(args.to);
  request.set_project(args.project);
  absl::StatusOr<v1::DiffRevisionsResponse> diff = (*c)->DiffRevisions(request);
  if (!diff.ok()) return diff.status();
  if (*format != Format::kTable) {
    PrintStructured(ctx.out(), MessageJson(*diff), *format);
    return kExitOk;
  }
  if (diff->objects_size() == 0) {
    ctx.out() << "no differences between revision " << args.from << " and revision "
              << diff->to_revision() << "\n";
    return kExitOk;
  }
  ctx.out() << "revision " << args.from << " -> " << diff->to_revision() << "\n";
  Table table({"KIND", "PROJECT", "NAME", "CHANGE", "VERSION"});
  for (const v1::ObjectDiff& object : diff->objects()) {
    std::string effect = v1::Effect_Name(object.effect());
    effect = absl::AsciiStrToLower(effect);
    const std::string from = object.from_version() == 0 ? "-" : absl::StrCat(object.from_version());
    const std::string to = object.to_version() == 0 ? "-" : absl::StrCat(object.to_version());
    table.AddRow(
        {object.kind(), object.project(), object.name(), effect, absl::StrCat(from, " -> ", to)});
  }
  table.Print(ctx.out());
  return kExitOk;
}

}  // namespace

void AddHistoryCommands(CLI::App& app, Context& ctx) {
  auto history_args = std::make_shared<HistoryArgs>();
  CLI::App* history = app.add_subcommand("history", "every recorded change of one object");
  history->add_option("kind", history_args->kind, "object kind")->required();
  history->add_option("name", history_args->name, "object name")->required();
  history->add_option("-p,--project", history_args->project, "project")->envname("LARDER_PROJECT");
  history->add_flag("--objects", history_args->with_objects,
                    "with -o json|yaml: include each version of the object");
  history->callback([&ctx, history_args] { ctx.Finish(History(ctx, *history_args)); });

  auto changes_args = std::make_shared<ChangesArgs>();
  CLI::App* changes = app.add_subcommand("changes", "the change log after a revision");
  changes->add_option("--since", changes_args->since, "list changes after this revision")
      ->capture_default_str();
  changes->add_option("-p,--project", changes_args->project, "only this project")
      ->envname("LARDER_PROJECT");
  changes->add_option("--kind", changes_args->kind, "only this kind");
  changes->add_option("--name", changes_args->name, "only objects of this name");
  changes->add_option("--limit", changes_args->limit, "at most this many changes");
  changes->add_flag("--objects", changes_args->with_objects,
                    "with -o json|yaml: include the object after each change");
  changes->callback([&ctx, changes_args] { ctx.Finish(Changes(ctx, *changes_args)); });

  auto watch_args = std::make_shared<ChangesArgs>();
  watch_args->since = -1;
  CLI::App* watch = app.add_subcommand(
      "watch", "follow the change log as it happens (resumes by itself after a disconnect)");
  watch->add_option("--since", watch_args->since,
                    "start after this revision (default: the current one)");
  watch->add_option("-p,--project", watch_args->project, "only this project")
      ->envname("LARDER_PROJECT");
  watch->add_option("--kind", watch_args->kind, "only this kind");
  watch->add_option("--name", watch_args->name, "only objects of this name");
  watch->add_option("--max-changes", watch_args->max_changes, "exit after this many changes");
  watch->add_option("--heartbeat", watch_args->heartbeat_s, "seconds between heartbeats")
      ->capture_default_str();
  watch->add_flag("--objects", watch_args->with_objects,
                  "with -o json|yaml: include the object after each change");
  watch->callback([&ctx, watch_args] { ctx.Finish(Watch(ctx, *watch_args)); });

  auto diff_args = std::make_shared<DiffArgs>();
  CLI::App* diff =
      app.add_subcommand("diff", "objects created, updated and deleted between two revisions");
  diff->add_option("rev1", diff_args->from, "from this revision")->required();
  diff->add_option("rev2", diff_args->to, "to this revision (default: the latest)");
  diff->add_option("-p,--project", diff_args->project, "only this project")
      ->envname("LARDER_PROJECT");
  diff->callback([&ctx, diff_args] { ctx.Finish(Diff(ctx, *diff_args)); });
}

}  // namespace larder::ctl
