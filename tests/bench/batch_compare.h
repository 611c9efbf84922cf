#pragma once

#include "tests/bench/bench_options.h"

namespace larder::bench {

// --batch-compare: spawns larder on --db and, for three rounds, creates N feature views (~2 KB
// each) once as N single ApplyFeatureView calls (1 in flight, as a script applying one object
// at a time would) and once as one larder.v1 ApplyBatch, each into a fresh project. Prints the
// times of each round, the medians and the ratio. Returns the process exit code.
int RunBatchComparison(const BenchOptions& options);

}  // namespace larder::bench
