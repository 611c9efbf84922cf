#!/usr/bin/env bash
# The container image, end to end: builds deploy/Containerfile from a clean export of the
# committed tree (git archive HEAD) with `buildah bud --isolation=chroot`, checks its config
# (non-root user, health check), then runs `larder migrate` and `larder serve` inside it with
# `buildah run --isolation=chroot` against a scratch PostgreSQL database, and checks that the
# image's own probe reports SERVING and that a Feast call (ApplyEntity, then GetEntity) works.
#
# Slow (a full build inside the image): CTest label `image`, skipped (exit 77) unless
# LARDER_TEST_IMAGE=1. Needs buildah, podman (to import the base), debootstrap when no
# debian:bookworm-slim image is present locally, psql, python3-grpcio, and
# LARDER_TEST_POSTGRES_URL (tests/run-all.sh sets it).
#   LARDER_TEST_IMAGE=1 ctest -L image --output-on-failure
# Optional: LARDER_IMAGE_CCACHE=DIR mounts a ccache directory into the build stage (faster
# rebuilds; the result is the same); LARDER_IMAGE_KEEP=1 keeps the image (localhost/larder:test);
# LARDER_IMAGE_REUSE=1 skips the build when that image exists (to rerun the checks by hand).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

if [[ "${LARDER_TEST_IMAGE:-}" != 1 ]]; then
  echo "SKIPPED: the image test builds the whole server in a container; set LARDER_TEST_IMAGE=1"
  exit 77
fi
for tool in buildah podman psql git; do
  command -v "$tool" >/dev/null || { echo "image test: $tool is not installed" >&2; exit 1; }
done
: "${LARDER_TEST_POSTGRES_URL:?image test: set LARDER_TEST_POSTGRES_URL (tests/run-all.sh does)}"
python=/usr/bin/python3
[[ -x $python ]] || python=python3

image=localhost/larder:test
work=$(mktemp -d /tmp/larder-image-test.XXXXXX)
container=""
server_pid=""
scratch_db="larder_image_$$"
stop_server() {
  # buildah run's children (the server) by parent pid, in case the signal is not passed on.
  local children
  children=$(pgrep -P "$server_pid" 2>/dev/null || true)
  kill -TERM "$server_pid" $children 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() {
  set +e
  if [[ -n "$server_pid" ]]; then stop_server; fi
  [[ -n "$container" ]] && buildah rm "$container" >/dev/null 2>&1
  [[ "${LARDER_IMAGE_KEEP:-}" == 1 ]] || buildah rmi "$image" >/dev/null 2>&1
  psql "$LARDER_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $scratch_db" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# --- The base images, made locally when absent (no image registry is reachable here).
if ! buildah inspect --type image debian:bookworm-slim >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { echo "image test: no debian:bookworm-slim and no debootstrap" >&2; exit 1; }
  mirror=$(grep -hoE '^(deb |URIs: )\s*https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null | grep -oE 'https?://[^ ]+' | grep -v security | head -n 1)
  echo "image test: making debian:bookworm-slim with debootstrap from ${mirror:-deb.debian.org}"
  nice -n 19 debootstrap --variant=minbase bookworm "$work/rootfs" "${mirror:-http://deb.debian.org/debian}" >/dev/null
  rm -f "$work"/rootfs/var/cache/apt/archives/*.deb
  tar -C "$work/rootfs" -c . | podman import - localhost/debian:bookworm-slim >/dev/null
  rm -rf "$work/rootfs"
fi
if ! buildah inspect --type image debian:bookworm >/dev/null 2>&1; then
  # The build stage installs its own packages, so the minimal root serves for it too.
  buildah tag debian:bookworm-slim localhost/debian:bookworm
fi

# --- Build from the committed tree only (what a clean checkout holds).
mkdir -p "$work/src"
git -C "$root" archive HEAD | tar -x -C "$work/src"
volume=()
if [[ -n "${LARDER_IMAGE_CCACHE:-}" ]]; then volume=(--volume "$LARDER_IMAGE_CCACHE:/root/.cache/ccache"); fi
lock=(flock "${LARDER_BUILD_LOCK:-/tmp/larder-build.lock}")
start=$(date +%s)
if [[ "${LARDER_IMAGE_REUSE:-}" == 1 ]] && buildah inspect --type image "$image" >/dev/null 2>&1; then
  echo "image test: reusing $image (LARDER_IMAGE_REUSE=1)"
else
  "${lock[@]}" nice -n 19 buildah bud --isolation=chroot --format docker --pull=never --layers=false \
    "${volume[@]}" -f deploy/Containerfile -t "$image" "$work/src" > "$work/build.log" 2>&1 || {
    tail -n 60 "$work/build.log" >&2; echo "image test: build failed" >&2; exit 1; }
  echo "image test: built $image in $(($(date +%s) - start)) s"
  echo "image test: runtime packages: $(sed -n 's/^runtime package: //p' "$work/build.log" | tr '\n' ' ')"
fi
echo "image test: image size $(buildah images --format '{{.Size}}' "$image" | head -n 1)"

# --- The image's configuration.
user=$(buildah inspect --type image --format '{{.Docker.Config.User}}' "$image")
health=$(buildah inspect --type image --format '{{.Docker.Config.Healthcheck}}' "$image")
[[ "$user" == 10001:10001 ]] || { echo "image test: runs as '$user', expected 10001:10001" >&2; exit 1; }
[[ "$health" == *larder-probe* ]] || { echo "image test: health check is '$health'" >&2; exit 1; }

# --- Run it against a scratch PostgreSQL database.
psql "$LARDER_TEST_POSTGRES_URL" -qc "CREATE DATABASE $scratch_db" >/dev/null
db_url="${LARDER_TEST_POSTGRES_URL%/*}/$scratch_db"
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
container=$(buildah from "$image")
# chroot isolation shares the host's network, so the server reaches 127.0.0.1 directly.
run=(buildah run --isolation=chroot --env "LARDER_DB=$db_url" "$container" --)
"${run[@]}" /usr/local/bin/larder migrate
"${run[@]}" /usr/local/bin/larder serve "--addr=127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server_pid=$!
# The probe the HEALTHCHECK runs, inside the image: it waits for the server (up to 20 s).
if ! "${run[@]}" /usr/local/bin/larder-probe "127.0.0.1:$port" --timeout-ms=20000; then
  cat "$work/serve.log" >&2; echo "image test: the probe did not report SERVING" >&2; exit 1
fi

# --- A Feast call from outside the image, with stubs generated from the checked-in protos
# (not grpc/health: a generated `grpc` package would shadow grpcio's; health goes by hand).
mkdir -p "$work/py"
(cd "$work/src/proto" && protoc -I . --python_out="$work/py" --grpc_python_out="$work/py" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  $(find feast google -name '*.proto'))
PYTHONPATH="$work/py" "$python" - "127.0.0.1:$port" <<'PY'
import sys
import grpc
from feast.core import Entity_pb2
from feast.registry import RegistryServer_pb2 as reg, RegistryServer_pb2_grpc as reg_grpc

channel = grpc.insecure_channel(sys.argv[1])
grpc.channel_ready_future(channel).result(timeout=10)
# grpc.health.v1.Health/Check with an empty HealthCheckRequest; the response's field 1 (status)
# is SERVING = 1, encoded as the two bytes 08 01.
check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda m: m,
                            response_deserializer=lambda b: b)
health = check(b"", timeout=5)
assert health == b"\x08\x01", health
stub = reg_grpc.RegistryServerStub(channel)
entity = Entity_pb2.Entity(spec=Entity_pb2.EntitySpecV2(name="driver", join_key="driver_id",
                                                        description="from the image test"))
stub.ApplyEntity(reg.ApplyEntityRequest(entity=entity, project="image_test", commit=True), timeout=10)
got = stub.GetEntity(reg.GetEntityRequest(name="driver", project="image_test"), timeout=10)
assert got.spec.join_key == "driver_id" and got.spec.description == "from the image test", got
listed = stub.ListEntities(reg.ListEntitiesRequest(project="image_test"), timeout=10)
assert [e.spec.name for e in listed.entities] == ["driver"], listed
print("image test: health SERVING; ApplyEntity/GetEntity/ListEntities answered")
PY

# The write went to PostgreSQL, not to a file inside the image.
rows=$(psql "$db_url" -tAc "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
[[ "$rows" -gt 0 ]] || { echo "image test: no tables in the scratch database" >&2; exit 1; }

stop_server
grep -q "larder: serving" "$work/serve.log" || { cat "$work/serve.log" >&2; exit 1; }
echo "image test: passed"
