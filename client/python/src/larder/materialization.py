"""MaterializationClient: the larder.v1.Materialization calls (docs/materialization.md).

Same transport rules as LarderClient (it is one, pointed at the Materialization service):
per-call deadlines, failover, bearer tokens, TLS, one request id per call and typed errors.
Retry classes: reads (GetJob, ListJobs), Heartbeat, CompleteTask, FailTask, CancelJob and
PlanMaterialization are safe to repeat after UNAVAILABLE / DEADLINE_EXCEEDED (a repeated
completion by the same lease records nothing again, a repeated failure answers what the first
decided, a plan is deduplicated by its request id, which stays the same on every attempt).
LeaseTasks is not: a second lease after a lost answer would hold more tasks than asked for; the
lost lease just expires.
"""
import datetime

from google.protobuf import duration_pb2, timestamp_pb2

from larder.client import LarderClient
from larder.protos.larder.v1 import materialization_pb2 as mv1
from larder.protos.larder.v1 import materialization_pb2_grpc as mv1_grpc


def _timestamp(value):
    """A Timestamp from a datetime (naive = UTC), seconds since the epoch, or None."""
    if value is None:
        return None
    out = timestamp_pb2.Timestamp()
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        out.FromDatetime(value.astimezone(datetime.timezone.utc).replace(tzinfo=None))
    else:
        out.FromNanoseconds(int(round(float(value) * 1e9)))
    return out


def _duration(value):
    """A Duration from a timedelta or seconds, or None."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    out = duration_pb2.Duration()
    out.FromNanoseconds(int(round(float(value) * 1e9)))
    return out


def to_datetime(ts) -> datetime.datetime:
    """A timezone-aware UTC datetime from a Timestamp."""
    return ts.ToDatetime().replace(tzinfo=datetime.timezone.utc)


class MaterializationClient(LarderClient):
    """A client of larder.v1.Materialization. Constructor: as LarderClient."""

    def __init__(self, addresses, **kwargs):
        super().__init__(addresses, **kwargs)
        self._stubs = [mv1_grpc.MaterializationStub(c) for c in self._channels]

    def plan(self, project: str, feature_views=(), *, start=None, end=None, incremental=False,
             task_span=None, max_attempts=0, rematerialize=False,
             request_id=None) -> mv1.PlanMaterializationResponse:
        """Plans a job (PlanMaterialization). start/end: datetimes (naive = UTC) or epoch
        seconds; incremental: Feast's materialize-incremental ranges up to `end` (start unset).
        task_span: timedelta or seconds per task. request_id makes re-planning idempotent."""
        request = mv1.PlanMaterializationRequest(
            project=project, feature_views=list(feature_views), incremental=incremental,
            max_attempts=max_attempts, rematerialize=rematerialize, request_id=request_id or "")
        for field, value in (("start_time", _timestamp(start)), ("end_time", _timestamp(end)),
                             ("task_span", _duration(task_span))):
            if value is not None:
                getattr(request, field).CopyFrom(value)
        return self._call("PlanMaterialization", request, True, request_id)

    def lease(self, worker: str, max_tasks: int = 1, lease_ttl=60.0, *, project="",
              job_id="") -> list:
        """Leases up to max_tasks runnable tasks; a list of MaterializationTask (maybe empty)."""
        request = mv1.LeaseTasksRequest(worker=worker, max_tasks=max_tasks, project=project,
                                        job_id=job_id, lease_ttl=_duration(lease_ttl))
        return list(self._call("LeaseTasks", request, False).tasks)

    def heartbeat(self, task_id: str, lease_id: str, lease_ttl=60.0) -> mv1.HeartbeatResponse:
        """Extends a lease. FailedPrecondition when the lease is no longer this caller's."""
        request = mv1.HeartbeatRequest(task_id=task_id, lease_id=lease_id,
                                       lease_ttl=_duration(lease_ttl))
        return self._call("Heartbeat", request, True)

    def complete(self, task_id: str, lease_id: str) -> mv1.CompleteTaskResponse:
        """Closes the task; Larder records its range in the view's materialization_intervals.
        FailedPrecondition when the lease was given to another worker."""
        request = mv1.CompleteTaskRequest(task_id=task_id, lease_id=lease_id)
        return self._call("CompleteTask", request, True)

    def fail(self, task_id: str, lease_id: str, reason: str,
             retryable: bool = True) -> mv1.FailTaskResponse:
        """Reports a failed attempt (retried with backoff while retryable and under the limit)."""
        request = mv1.FailTaskRequest(task_id=task_id, lease_id=lease_id, reason=reason,
                                      retryable=retryable)
        return self._call("FailTask", request, True)

    def get_job(self, job_id: str, include_tasks: bool = False) -> mv1.MaterializationJob:
        request = mv1.GetJobRequest(job_id=job_id, include_tasks=include_tasks)
        return self._call("GetJob", request, True).job

    def list_jobs(self, project: str = "", states=(), limit: int = 0) -> list:
        """Jobs, newest first; states: JobState values (e.g. mv1.JOB_RUNNING)."""
        request = mv1.ListJobsRequest(project=project, states=list(states), limit=limit)
        return list(self._call("ListJobs", request, True).jobs)

    def cancel_job(self, job_id: str, reason: str = "") -> mv1.MaterializationJob:
        request = mv1.CancelJobRequest(job_id=job_id, reason=reason)
        return self._call("CancelJob", request, True).job
