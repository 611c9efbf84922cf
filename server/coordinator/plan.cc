// MaterializationCoordinator::Plan: which views and ranges a job covers, chosen as Feast v0.66's
// FeatureStore.materialize / materialize_incremental choose them, minus what is recorded or in
// flight, cut into task spans.
#include <set>

#include "absl/strings/str_cat.h"
#include "feast/core/FeatureView.pb.h"
#include "feast/core/LabelView.pb.h"
#include "feast/core/OnDemandFeatureView.pb.h"
#include "feast/core/StreamFeatureView.pb.h"
#include "server/coordinator/ledger.h"
#include "server/coordinator/materialization_coordinator.h"
#include "server/coordinator/range_plan.h"
#include "server/registry/feast_errors.h"
#include "server/registry/registry_internal.h"

namespace larder::coordinator {
namespace {

using storage::ObjectKind;
using storage::ObjectRow;

// One view a job materializes, as read (and row-locked) in the planning transaction.
struct PlannedView {
  ObjectKind kind;
  std::string name;
  std::vector<TimeRange> recorded;   // its materialization_intervals
  absl::Duration ttl;                // feature views and stream feature views
  std::vector<std::string> sources;  // on-demand views: the feature views they read
};

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}
absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}
// Ranges are kept to the microsecond, as Feast's Python datetimes are.
absl::Time Micros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

template <typename View>
void ReadIntervalsAndTtl(const View& view, PlannedView& out) {
  for (const auto& interval : view.meta().materialization_intervals()) {
    out.recorded.push_back(
        {Micros(FromProto(interval.start_time())), Micros(FromProto(interval.end_time()))});
  }
  out.ttl = FromProto(view.spec().ttl());
}

// Whether Feast's "all views" selection takes the stored view, and fills `out` when it does.
absl::StatusOr<bool> Describe(ObjectKind kind, const ObjectRow& row, bool named, PlannedView& out) {
  out.kind = kind;
  out.name = row.name;
  switch (kind) {
    case ObjectKind::kFeatureView: {
      auto view = registry::internal::Decode<feast::core::FeatureView>(row);
      if (!view.ok()) return view.status();
      // Named views that are offline-only are taken too, as Feast does.
      if (!view->spec().online() && (!named || !view->spec().offline())) {
        if (!named) return false;
        return absl::InvalidArgumentError(
            absl::StrCat("FeatureView ", row.name, " is not configured to be served online."));
      }
      ReadIntervalsAndTtl(*view, out);
      return true;
    }
    case ObjectKind::kStreamFeatureView: {
      auto view = registry::internal::Decode<feast::core::StreamFeatureView>(row);
      if (!view.ok()) return view.status();
      if (!view->spec().online()) {
        if (!named) return false;
        return absl::InvalidArgumentError(
            absl::StrCat("FeatureView ", row.name, " is not configured to be served online."));
      }
      ReadIntervalsAndTtl(*view, out);
      return true;
    }
    case ObjectKind::kOnDemandFeatureView: {
      auto view = registry::internal::Decode<feast::core::OnDemandFeatureView>(row);
      if (!view.ok()) return view.status();
      if (!view->spec().write_to_online_store()) {
        if (!named) return false;
        return absl::InvalidArgumentError(absl::StrCat(
            "OnDemandFeatureView ", row.name, " is not configured for write_to_online_store."));
      }
      std::set<std::string> sources;
      for (const auto& [key, source] : view->spec().sources()) {
        if (source.has_feature_view()) sources.insert(source.feature_view().spec().name());
        if (source.has_feature_view_projection()) {
          sources.insert(source.feature_view_projection().feature_view_name());
        }
      }
      out.sources.assign(sources.begin(), sources.end());
      return true;
    }
    case ObjectKind::kLabelView:
      return absl::InvalidArgumentError(
          absl::StrCat("LabelView ", row.name,
                       " cannot be materialized via materialize(). Use FeatureStore.push() to "
                       "write labels."));
    default:
      return absl::InternalError("not a feature-view kind");
  }
}

// The views a plan covers, each locked FOR UPDATE so that planning serializes with completions
// (which append to the same rows) and with other plans of the view.
absl::StatusOr<std::vector<PlannedView>> SelectViews(storage::Transaction& tx,
                                                     absl::string_view project,
                                                     const v1::PlanMaterializationRequest& q) {
  std::vector<PlannedView> views;
  auto take = [&](ObjectKind kind, absl::string_view name, bool named) -> absl::Status {
    absl::StatusOr<std::optional<ObjectRow>> row =
        tx.GetObject(kind, project, name, storage::Lock::kForUpdate);
    if (!row.ok()) return row.status();
    if (!row->has_value()) return registry::FeatureViewNotFound(name, project);
    PlannedView view;
    absl::StatusOr<bool> taken = Describe(kind, **row, named, view);
    if (!taken.ok()) return taken.status();
    if (*taken) views.push_back(std::move(view));
    return absl::OkStatus();
  };
  // Feast's lookup order for a named view.
  constexpr ObjectKind kNamedOrder[] = {ObjectKind::kFeatureView, ObjectKind::kStreamFeatureView,
                                        ObjectKind::kOnDemandFeatureView, ObjectKind::kLabelView};
  std::set<std::string> seen;
  for (const std::string& name : q.feature_views()) {
    if (!seen.insert(name).second) continue;
    bool found = false;
    for (ObjectKind kind : kNamedOrder) {
      absl::StatusOr<std::optional<ObjectRow>> row = tx.GetObject(kind, project, name);
      if (!row.ok()) return row.status();
      if (!row->has_value()) continue;
      found = true;
      if (absl::Status s = take(kind, name, true); !s.ok()) return s;
      break;
    }
    if (!found) return registry::FeatureViewNotFound(name, project);
  }
  if (q.feature_views().empty()) {
    // Feast's order: feature views, stream feature views, on-demand views.
    for (ObjectKind kind : {ObjectKind::kFeatureView, ObjectKind::kStreamFeatureView,
                            ObjectKind::kOnDemandFeatureView}) {
      absl::StatusOr<std::vector<ObjectRow>> rows = tx.ListObjects(kind, project);
      if (!rows.ok()) return rows.status();
      for (const ObjectRow& row : *rows) {
        if (absl::Status s = take(kind, row.name, false); !s.ok()) return s;
      }
    }
  }
  return views;
}

// The range Feast would materialize `view` over.
absl::StatusOr<TimeRange> FeastRange(storage::Transaction& tx, absl::string_view project,
                                     const PlannedView& view,
                                     const v1::PlanMaterializationRequest& q, absl::Time now) {
  const absl::Time end = Micros(FromProto(q.end_time()));
  if (!q.incremental()) return TimeRange{Micros(FromProto(q.start_time())), end};
  if (view.kind != ObjectKind::kOnDemandFeatureView) {
    return TimeRange{Micros(IncrementalStart(view.recorded, view.ttl, now)), end};
  }
  std::vector<absl::Duration> ttls;
  for (const std::string& source : view.sources) {
    absl::StatusOr<std::optional<ObjectRow>> row =
        tx.GetObject(ObjectKind::kFeatureView, project, source);
    if (!row.ok()) return row.status();
    if (!row->has_value()) return registry::FeatureViewNotFound(source, project);
    auto fv = registry::internal::Decode<feast::core::FeatureView>(**row);
    if (!fv.ok()) return fv.status();
    ttls.push_back(FromProto(fv->spec().ttl()));
  }
  return TimeRange{Micros(OnDemandIncrementalStart(ttls, end)), end};
}

absl::Status ValidatePlan(const v1::PlanMaterializationRequest& q) {
  if (q.project().empty()) return absl::InvalidArgumentError("a plan needs a project");
  if (!q.has_end_time()) return absl::InvalidArgumentError("a plan needs an end_time");
  if (q.incremental() && q.has_start_time()) {
    return absl::InvalidArgumentError(
        "an incremental plan starts where each view left off; leave start_time unset");
  }
  if (!q.incremental()) {
    if (!q.has_start_time()) {
      return absl::InvalidArgumentError("a plan needs a start_time (or incremental = true)");
    }
    if (FromProto(q.start_time()) > FromProto(q.end_time())) {
      return absl::InvalidArgumentError(
          "The given start_date is greater than the given end_date.");  // Feast's ValueError
    }
  }
  if (FromProto(q.task_span()) < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("task_span must not be negative");
  }
  if (q.max_attempts() < 0 || q.max_attempts() > 100) {
    return absl::InvalidArgumentError("max_attempts must be between 0 (default) and 100");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::PlanMaterializationResponse> MaterializationCoordinator::Plan(
    const registry::WriteOptions& who, const v1::PlanMaterializationRequest& q,
    absl::string_view call_request_id) {
  if (absl::Status s = ValidatePlan(q); !s.ok()) return s;
  const std::string request_id =
      q.request_id().empty() ? std::string(call_request_id) : q.request_id();
  const int max_attempts = q.max_attempts() == 0 ? options_.default_max_attempts : q.max_attempts();
  registry::WriteOptions options = who;
  options.request_id.clear();  // the plan's idempotency is its job row's request id

  v1::PlanMaterializationResponse response;
  auto plan = [&](registry::RegistryWrite& w) -> absl::Status {
    response.Clear();
    storage::Transaction& tx = w.transaction();
    LedgerWrite ledger(tx, w.context().now(), options);
    if (!request_id.empty()) {
      absl::StatusOr<std::optional<storage::MaterializationJobRow>> existing =
          tx.FindMaterializationJobByRequest(request_id);
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        absl::StatusOr<v1::MaterializationJob> job = LoadJob(tx, **existing, true);
        if (!job.ok()) return job.status();
        *response.mutable_job() = *std::move(job);
        response.set_already_planned(true);
        return absl::OkStatus();
      }
    }
    absl::StatusOr<std::vector<PlannedView>> views = SelectViews(tx, q.project(), q);
    if (!views.ok()) return views.status();

    storage::MaterializationJobRow job;
    job.job_id = registry::NewUuid4();
    job.project = q.project();
    job.request_id = request_id;
    job.state = std::string(kPending);
    job.created_at_micros = ledger.now_micros();
    std::vector<storage::MaterializationTaskRow> tasks;
    for (const PlannedView& view : *views) {
      const std::string kind_name(storage::TableOf(view.kind).kind_name);
      if (absl::Status s = ledger.RequireWriteView(q.project(), kind_name, view.name); !s.ok()) {
        return s;
      }
      absl::StatusOr<TimeRange> range = FeastRange(tx, q.project(), view, q, ledger.now());
      if (!range.ok()) return range.status();
      // Ranges recorded already (unless asked again) and ranges other jobs have in flight.
      std::vector<TimeRange> covered = q.rematerialize() ? std::vector<TimeRange>{} : view.recorded;
      absl::StatusOr<std::vector<storage::MaterializationTaskRow>> active =
          tx.ActiveMaterializationTasks(q.project(), view.name);
      if (!active.ok()) return active.status();
      for (const auto& task : *active) {
        covered.push_back(
            {absl::FromUnixMicros(task.start_micros), absl::FromUnixMicros(task.end_micros)});
      }
      for (const TimeRange& piece : Subtract(*range, covered)) {
        for (const TimeRange& span : Split(piece, FromProto(q.task_span()))) {
          storage::MaterializationTaskRow& task = tasks.emplace_back();
          task.task_id = registry::NewUuid4();
          task.job_id = job.job_id;
          task.task_index = static_cast<int32_t>(tasks.size() - 1);
          task.project = q.project();
          task.view_kind = kind_name;
          task.view_name = view.name;
          task.start_micros = absl::ToUnixMicros(span.start);
          task.end_micros = absl::ToUnixMicros(span.end);
          task.state = std::string(kPending);
          task.max_attempts = max_attempts;
          task.not_before_micros = ledger.now_micros();
        }
      }
    }
    job.task_count = static_cast<int64_t>(tasks.size());
    if (tasks.empty()) {
      job.state = std::string(kSucceeded);  // nothing to do: done at once
      job.finished_at_micros = ledger.now_micros();
    }
    v1::MaterializationJob description;
    *description.mutable_feature_views() = q.feature_views();
    if (!q.incremental()) *description.mutable_start_time() = q.start_time();
    *description.mutable_end_time() = q.end_time();
    description.set_incremental(q.incremental());
    *description.mutable_task_span() = q.task_span();
    description.set_max_attempts(max_attempts);
    description.set_rematerialize(q.rematerialize());
    description.set_request_id(request_id);
    description.set_created_by(options.actor);
    *description.mutable_created_at() = registry::ToProto(ledger.now());
    job.proto = description.SerializeAsString();
    if (absl::Status s = ledger.InsertJob(job); !s.ok()) return s;
    v1::MaterializationJob& out = *response.mutable_job();
    out = JobToProto(job);
    for (storage::MaterializationTaskRow& task : tasks) {
      if (absl::Status s = ledger.InsertTask(task); !s.ok()) return s;
      AddProgress(task, *out.mutable_progress());
      *out.add_tasks() = TaskToProto(task);
    }
    return absl::OkStatus();
  };
  absl::Status status = registry_.Write(options, plan);
  if (absl::IsAlreadyExists(status) && !request_id.empty()) {
    // The same request planned concurrently and committed first: answer its job.
    status = registry_.Write(options, plan);
  }
  if (!status.ok()) return status;
  return response;
}

}  // namespace larder::coordinator
