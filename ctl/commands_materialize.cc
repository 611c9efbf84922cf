// materialize plan|jobs|job|cancel: larder.v1.Materialization from a terminal
// (docs/materialization.md). Larder plans and records; workers do the work, so the CLI only
// plans jobs, shows their progress and cancels them.
#include <algorithm>
#include <memory>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ctl/commands.h"
#include "ctl/yaml_json.h"
#include "larder/v1/materialization.pb.h"

namespace larder::ctl {
namespace {

struct PlanArgs {
  std::string project;
  std::vector<std::string> views;
  std::string start;
  std::string end;
  bool incremental = false;
  std::string task_span;
  int max_attempts = 0;
  bool rematerialize = false;
  std::string request_id;
};

struct JobsArgs {
  std::string project;
  std::vector<std::string> states;
  int limit = 0;
};

struct JobArgs {
  std::string job_id;
  bool tasks = false;
  std::string reason;
};

// "now", or RFC 3339 ("2026-01-02T03:04:05Z"), or a date ("2026-01-02", midnight UTC).
absl::StatusOr<absl::Time> ParseWhen(const std::string& text, const char* flag) {
  if (text == "now") return absl::Now();
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return t;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err)) return t;
  return absl::InvalidArgumentError(absl::StrCat(
      flag, ": \"", text, "\" is not a time (RFC 3339 like 2026-01-02T00:00:00Z, a date, or now)"));
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
}

// JOB_RUNNING -> running, TASK_LEASED -> leased.
std::string StateWord(const std::string& enum_name) {
  absl::string_view word = enum_name;
  if (!absl::ConsumePrefix(&word, "JOB_")) absl::ConsumePrefix(&word, "TASK_");
  return absl::AsciiStrToLower(word);
}

// [########------------]  8/20: done tasks (succeeded) filled, the rest dashed.
std::string ProgressBar(const v1::JobProgress& progress) {
  constexpr int64_t kWidth = 20;
  const int64_t total = progress.total();
  const int64_t done = progress.succeeded();
  const int64_t filled = total == 0 ? kWidth : done * kWidth / total;
  return absl::StrCat("[", std::string(static_cast<size_t>(filled), '#'),
                      std::string(static_cast<size_t>(kWidth - filled), '-'), "] ", done, "/",
                      total);
}

std::string ProgressCounts(const v1::JobProgress& p) {
  return absl::StrCat(p.pending(), " pending, ", p.leased(), " leased, ", p.succeeded(),
                      " succeeded, ", p.failed(), " failed, ", p.cancelled(), " cancelled");
}

std::string RangeText(const google::protobuf::Timestamp& start,
                      const google::protobuf::Timestamp& end) {
  return absl::StrCat(TimeText(start), " .. ", TimeText(end));
}

void PrintJob(std::ostream& out, const v1::MaterializationJob& job, bool with_tasks) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Job", job.job_id()},
      {"Project", job.project()},
      {"State", StateWord(v1::JobState_Name(job.state()))},
      {"Views", job.feature_views().empty() ? "(all)" : absl::StrJoin(job.feature_views(), ", ")},
      {"Range", job.incremental() ? absl::StrCat("incremental up to ", TimeText(job.end_time()))
                                  : RangeText(job.start_time(), job.end_time())},
      {"Progress", ProgressBar(job.progress())},
      {"Tasks", ProgressCounts(job.progress())},
      {"Created", absl::StrCat(TimeText(job.created_at()),
                               job.created_by().empty() ? "" : " by " + job.created_by())},
  };
  if (job.finished_at().seconds() != 0) fields.push_back({"Finished", TimeText(job.finished_at())});
  if (!job.error().empty()) fields.push_back({"Error", job.error()});
  PrintFields(out, fields);
  if (!with_tasks || job.tasks().empty()) return;
  out << "\n";
  Table table({"TASK", "VIEW", "START", "END", "STATE", "ATTEMPTS", "WORKER", "ERROR"});
  for (const v1::MaterializationTask& task : job.tasks()) {
    table.AddRow({task.task_id(), task.feature_view(), TimeText(task.start_time()),
                  TimeText(task.end_time()), StateWord(v1::TaskState_Name(task.state())),
                  absl::StrCat(task.attempts(), "/", task.max_attempts()),
                  task.worker().empty() ? "-" : task.worker(),
                  task.last_error().empty() ? "-" : task.last_error()});
  }
  table.Print(out);
}

CommandResult Plan(Context& ctx, const PlanArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  if (args.project.empty()) return absl::InvalidArgumentError("materialize plan needs -p PROJECT");
  v1::PlanMaterializationRequest request;
  request.set_project(args.project);
  for (const std::string& view : args.views) {
    for (absl::string_view name : absl::StrSplit(view, ',', absl::SkipEmpty())) {
      request.add_feature_views(std::string(name));
    }
  }
  request.set_incremental(args.incremental);
  if (args.incremental && !args.start.empty()) {
    return absl::InvalidArgumentError("--incremental plans from each view's last run: no --start");
  }
  if (!args.incremental && args.start.empty()) {
    return absl::InvalidArgumentError("give --start TIME, or --incremental");
  }
  if (!args.start.empty()) {
    absl::StatusOr<absl::Time> start = ParseWhen(args.start, "--start");
    if (!start.ok()) return start.status();
    SetTimestamp(*start, request.mutable_start_time());
  }
  absl::StatusOr<absl::Time> end = ParseWhen(args.end, "--end");
  if (!end.ok()) return end.status();
  SetTimestamp(*end, request.mutable_end_time());
  if (!args.task_span.empty()) {
    absl::Duration span;
    if (!absl::ParseDuration(args.task_span, &span) || span <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--task-span: \"", args.task_span, "\" is not a duration like 6h or 30m"));
    }
    request.mutable_task_span()->set_seconds(absl::ToInt64Seconds(span));
  }
  request.set_max_attempts(args.max_attempts);
  request.set_rematerialize(args.rematerialize);
  request.set_request_id(args.request_id);
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::PlanMaterializationResponse> planned = (*c)->PlanMaterialization(request);
  if (!planned.ok()) return planned.status();
  if (*format != Format::kTable) {
    PrintStructured(ctx.out(), MessageJson(*planned), *format);
    return kExitOk;
  }
  if (planned->already_planned()) ctx.out() << "Already planned under this request id.\n";
  PrintJob(ctx.out(), planned->job(), true);
  return kExitOk;
}

CommandResult Jobs(Context& ctx, const JobsArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  v1::ListJobsRequest request;
  request.set_project(args.project);
  request.set_limit(args.limit);
  for (const std::string& text : args.states) {
    v1::JobState state;
    if (!v1::JobState_Parse(absl::StrCat("JOB_", absl::AsciiStrToUpper(text)), &state)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--state: unknown state \"", text,
                       "\" (one of: pending, running, succeeded, failed, cancelled)"));
    }
    request.add_states(state);
  }
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::ListJobsResponse> jobs = (*c)->ListJobs(request);
  if (!jobs.ok()) return jobs.status();
  if (*format != Format::kTable) {
    std::vector<std::string> items;
    for (const v1::MaterializationJob& job : jobs->jobs()) items.push_back(MessageJson(job));
    PrintStructured(ctx.out(), JsonArray(items), *format);
    return kExitOk;
  }
  if (jobs->jobs().empty()) {
    ctx.out() << "No materialization jobs.\n";
    return kExitOk;
  }
  Table table({"JOB", "PROJECT", "STATE", "PROGRESS", "CREATED"});
  for (const v1::MaterializationJob& job : jobs->jobs()) {
    table.AddRow({job.job_id(), job.project(), StateWord(v1::JobState_Name(job.state())),
                  ProgressBar(job.progress()), TimeText(job.created_at())});
  }
  table.Print(ctx.out());
  return kExitOk;
}

CommandResult Job(Context& ctx, const JobArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::MaterializationJob> job = (*c)->GetJob(args.job_id, args.tasks);
  if (!job.ok()) return job.status();
  if (*format != Format::kTable) {
    PrintStructured(ctx.out(), MessageJson(*job), *format);
    return kExitOk;
  }
  PrintJob(ctx.out(), *job, args.tasks);
  return kExitOk;
}

CommandResult Cancel(Context& ctx, const JobArgs& args) {
  absl::StatusOr<Format> format = ctx.OutputFormat();
  if (!format.ok()) return format.status();
  absl::StatusOr<client::RegistryClient*> c = ctx.Client();
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::MaterializationJob> job = (*c)->CancelJob(args.job_id, args.reason);
  if (!job.ok()) return job.status();
  if (*format != Format::kTable) {
    PrintStructured(ctx.out(), MessageJson(*job), *format);
    return kExitOk;
  }
  PrintJob(ctx.out(), *job, false);
  return kExitOk;
}

}  // namespace

void AddMaterializeCommands(CLI::App& app, Context& ctx) {
  CLI::App* materialize = app.add_subcommand(
      "materialize", "plan materialization jobs for workers, follow and cancel them");
  materialize->require_subcommand(1);

  auto plan_args = std::make_shared<PlanArgs>();
  plan_args->end = "now";
  CLI::App* plan = materialize->add_subcommand(
      "plan", "plan a job of tasks (view x time range) that workers lease and complete");
  plan->add_option("-p,--project", plan_args->project, "project")->envname("LARDER_PROJECT");
  plan->add_option("--views", plan_args->views,
                   "feature views (comma-separated; default: all Feast would materialize)");
  plan->add_option("--start", plan_args->start, "start of the range (RFC 3339 or a date)");
  plan->add_option("--end", plan_args->end, "end of the range (RFC 3339, a date, or now)")
      ->capture_default_str();
  plan->add_flag("--incremental", plan_args->incremental,
                 "from each view's last materialized end, as materialize-incremental");
  plan->add_option("--task-span", plan_args->task_span,
                   "split each view's range into tasks of at most this (e.g. 6h)");
  plan->add_option("--max-attempts", plan_args->max_attempts,
                   "attempts per task before the job fails (default 3)");
  plan->add_flag("--rematerialize", plan_args->rematerialize, "plan ranges already recorded again");
  plan->add_option("--request-id", plan_args->request_id,
                   "makes the plan idempotent: the same id answers the same job");
  plan->callback([&ctx, plan_args] { ctx.Finish(Plan(ctx, *plan_args)); });

  auto jobs_args = std::make_shared<JobsArgs>();
  CLI::App* jobs = materialize->add_subcommand("jobs", "materialization jobs, newest first");
  jobs->add_option("-p,--project", jobs_args->project, "only this project")
      ->envname("LARDER_PROJECT");
  jobs->add_option("--state", jobs_args->states,
                   "only jobs in this state (pending, running, succeeded, failed, cancelled)");
  jobs->add_option("--limit", jobs_args->limit, "at most this many jobs (default 100)");
  jobs->callback([&ctx, jobs_args] { ctx.Finish(Jobs(ctx, *jobs_args)); });

  auto job_args = std::make_shared<JobArgs>();
  CLI::App* job = materialize->add_subcommand("job", "one job: state, progress and its tasks");
  job->add_option("job_id", job_args->job_id, "job id")->required();
  job->add_flag("--tasks", job_args->tasks, "list every task");
  job->callback([&ctx, job_args] { ctx.Finish(Job(ctx, *job_args)); });

  auto cancel_args = std::make_shared<JobArgs>();
  CLI::App* cancel =
      materialize->add_subcommand("cancel", "cancel every task of a job not yet succeeded");
  cancel->add_option("job_id", cancel_args->job_id, "job id")->required();
  cancel->add_option("--reason", cancel_args->reason, "recorded as the job's error");
  cancel->callback([&ctx, cancel_args] { ctx.Finish(Cancel(ctx, *cancel_args)); });
}

}  // namespace larder::ctl
