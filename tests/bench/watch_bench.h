#pragma once

#include "tests/bench/bench_options.h"

namespace larder::bench {

// --watchers=N: spawns two larder replicas on --db, opens N idle WatchChanges streams on the
// first, and reports the server's memory per watcher (RSS growth / N) and, for one change
// committed on the same replica and then one on the other, the delay from the commit returning
// to each watcher receiving it (p50 / p99 / max over the N watchers). Returns the exit code.
int RunWatchBenchmark(const BenchOptions& options);

}  // namespace larder::bench
