#include "tests/bench/bench_options.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace larder::bench {

std::string BenchUsage() {
  return R"(usage: larder-bench (--target=HOST:PORT [--db=URL] | --spawn --db=URL [--larder=PATH])
                    [flags]

Closed-loop load against Feast's feast.registry.RegistryServer API. Prints, per scenario, cache
setting and in-flight count: QPS, p50/p99 latency, the ceiling measured in the same run and the
ratio. Read ceiling: an in-process echo service on the same gRPC. Write ceiling (needs --db):
BEGIN; SELECT ... FOR UPDATE; upsert of a 2 KB row; COMMIT through Larder's own database driver
at the same concurrency.

  --target=HOST:PORT     measure a running server (Larder, or Feast's Python registry server)
  --spawn                start the larder binary on 127.0.0.1:0 (port read from its output)
  --db=URL               the database (sqlite:///relative.db | sqlite:////absolute.db |
                         postgresql://... | mysql://...)
  --larder=PATH          the larder binary for --spawn (default: the one built with the bench)
  --larder-arg=ARG       extra argument for the spawned larder (repeatable)
  --server-pid=PID       with --target: the server's process, for its CPU per call
  --reset-db             delete the SQLite database file before spawning
  --seconds=N            measuring window per cell (default 2)
  --warmup=N             unmeasured warm-up per cell (default 0.3)
  --in-flight=LIST       calls in flight (default 1,8,32)
  --scenarios=LIST       GetEntity,GetFeatureView,ListFeatureViews,ListAllFeatureViews,Proto,
                         ApplyEntity,ApplyFeatureView,ApplyFeatureViewSpread,
                         ApplyMaterialization (default: all)
  --quick                CI smoke run: in-flight 8 only, 0.3 s cells, smaller registry
  --project=NAME         project prefix of the seeded objects (default bench)
  --small-views=N        views (and entities) in the small project (default 50)
  --list-views=N         views in the large ListFeatureViews project (default 1000)
  --proto-objects=N      objects in the registry for Proto() (default 10000)
  --seed-in-flight=N     creations in flight while seeding/filling (default 32; seeding
                         falls back to 1 by itself when concurrent creations fail)
  --scaling              instead: apply latency at 100/1k/10k/100k objects, RSS and cold start
                         (needs --spawn and a fresh --db)
  --max-objects=N        the largest scaling size (default 100000)
  --watchers=N           instead: N idle WatchChanges streams on one of two spawned replicas:
                         memory per watcher, delivery of one change to all (needs --spawn --db)
  --batch-compare        instead: 500 feature views as 500 ApplyFeatureView calls vs one
                         larder.v1 ApplyBatch, three rounds (needs --spawn --db)
)";
}

std::vector<std::string> SpawnArgs(const BenchOptions& o) {
  std::vector<std::string> args = {"serve",     "--db=" + o.db_url, "--addr=127.0.0.1:0",
                                   "--migrate", "--http-addr=",     "--log-level=warning"};
  args.insert(args.end(), o.larder_args.begin(), o.larder_args.end());
  return args;
}

absl::StatusOr<BenchOptions> ParseBenchOptions(int argc, char** argv,
                                               const std::string& default_larder) {
  BenchOptions o;
  o.larder_binary = default_larder;
  bool seconds_set = false, warmup_set = false, in_flight_set = false, list_set = false,
       proto_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string flag = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    auto bad = [&] { return absl::InvalidArgumentError(absl::StrCat("bad flag '", arg, "'")); };
    auto number = [&](auto* out) { return !value.empty() && absl::SimpleAtoi(value, out); };
    auto real = [&](double* out) { return absl::SimpleAtod(value, out) && *out > 0; };
    if (flag == "--target") {
      o.target = value;
    } else if (flag == "--spawn") {
      o.spawn = true;
    } else if (flag == "--db") {
      o.db_url = value;
    } else if (flag == "--larder") {
      o.larder_binary = value;
    } else if (flag == "--larder-arg") {
      o.larder_args.push_back(value);
    } else if (flag == "--server-pid") {
      if (!number(&o.server_pid) || o.server_pid <= 0) return bad();
    } else if (flag == "--reset-db") {
      o.reset_db = true;
    } else if (flag == "--seconds") {
      if (!real(&o.seconds)) return bad();
      seconds_set = true;
    } else if (flag == "--warmup") {
      if (!absl::SimpleAtod(value, &o.warmup) || o.warmup < 0) return bad();
      warmup_set = true;
    } else if (flag == "--quick") {
      o.quick = true;
    } else if (flag == "--in-flight") {
      o.in_flight.clear();
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n <= 0 || n > 64) return bad();
        o.in_flight.push_back(n);
      }
      in_flight_set = true;
    } else if (flag == "--scenarios") {
      o.scenarios = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (flag == "--project") {
      if (value.empty()) return bad();
      o.project = value;
    } else if (flag == "--small-views") {
      if (!number(&o.small_views) || o.small_views <= 0) return bad();
    } else if (flag == "--list-views") {
      if (!number(&o.list_views) || o.list_views <= 0) return bad();
      list_set = true;
    } else if (flag == "--proto-objects") {
      if (!number(&o.proto_objects) || o.proto_objects < 0) return bad();
      proto_set = true;
    } else if (flag == "--seed-in-flight") {
      if (!number(&o.seed_in_flight) || o.seed_in_flight <= 0 || o.seed_in_flight > 64) {
        return bad();
      }
    } else if (flag == "--scaling") {
      o.scaling = true;
    } else if (flag == "--batch-compare") {
      o.batch_compare = true;
    } else if (flag == "--watchers") {
      if (!number(&o.watchers) || o.watchers <= 0) {
        return absl::InvalidArgumentError("--watchers must be a positive number");
      }
    } else if (flag == "--max-objects") {
      if (!number(&o.max_objects) || o.max_objects < 100) return bad();
    } else if (flag == "--help" || flag == "-h") {
      return absl::InvalidArgumentError("");
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", arg, "'"));
    }
  }
  if (o.spawn == !o.target.empty()) {
    return absl::InvalidArgumentError("give exactly one of --target and --spawn");
  }
  if (o.spawn && o.db_url.empty()) return absl::InvalidArgumentError("--spawn needs --db");
  if (o.scaling && !o.spawn) return absl::InvalidArgumentError("--scaling needs --spawn --db");
  if (o.watchers > 0 && !o.spawn) return absl::InvalidArgumentError("--watchers needs --spawn");
  if (o.batch_compare && !o.spawn) {
    return absl::InvalidArgumentError("--batch-compare needs --spawn --db");
  }
  if (o.quick) {
    if (!seconds_set) o.seconds = 0.3;
    if (!warmup_set) o.warmup = 0.1;
    if (!in_flight_set) o.in_flight = {8};
    if (!list_set) o.list_views = 200;
    if (!proto_set) o.proto_objects = 1000;
  }
  std::erase_if(o.scaling_sizes, [&](int64_t n) { return n > o.max_objects; });
  if (o.scaling_sizes.empty() || o.scaling_sizes.back() != o.max_objects) {
    o.scaling_sizes.push_back(o.max_objects);
  }
  return o;
}

}  // namespace larder::bench
