#pragma once

#include "tests/bench/bench_options.h"

namespace larder::bench {

// --scaling: spawns larder on the (fresh) --db, fills project "<project>_scale" through the API
// to each of options.scaling_sizes feature views (~2 KB each, 32 applies in flight), and at each
// size measures ApplyFeatureView latency at 1 in flight. At the largest size: the server's RSS
// against the raw proto bytes of the registry (Proto()'s response size), and the cold start of
// a fresh larder on the filled database, until its first cached GetFeatureView returns. Prints a
// table and the targets; returns the process exit code (non-zero only when the tool
// could not run).
int RunScaling(const BenchOptions& options);

}  // namespace larder::bench
