"""Stand-in materialize functions for materialize_worker_test.py (run as --function
mat_functions:NAME in worker processes). They talk to the test through files named by env."""
import os
import time


def record(task):
    """Marks the start (MAT_STARTED_DIR/<pid>), sleeps MAT_SLEEP seconds, then appends the task
    to MAT_LOG: what the test counts to prove each task ran to its end once per completion."""
    started = os.environ.get("MAT_STARTED_DIR")
    if started:
        with open(os.path.join(started, str(os.getpid())), "w") as f:
            f.write(task.task_id)
    time.sleep(float(os.environ.get("MAT_SLEEP", "0")))
    with open(os.environ["MAT_LOG"], "a") as f:
        f.write(f"{task.task_id} {os.getpid()}\n")


def always_fail(task):
    raise RuntimeError(f"disk on fire under {task.feature_view}")
