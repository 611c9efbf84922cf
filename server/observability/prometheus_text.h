#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/latency_histogram.h"

namespace larder::observability {

// Writes the Prometheus text exposition format (version 0.0.4): each family once, as
// `# HELP`, `# TYPE` and its samples together; label values escaped; histograms as cumulative
// `_bucket{le=...}` series ending in `+Inf`, then `_sum` and `_count`. Not thread-safe (one
// writer per scrape).
class PrometheusText {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  enum class Type { kCounter, kGauge, kHistogram };

  // Starts the family `name` (which must be a valid metric name, and new); the samples that
  // follow belong to it.
  void Family(absl::string_view name, Type type, absl::string_view help);
  // One sample of the current family (a counter or gauge).
  void Sample(const Labels& labels, double value);
  // One labelled histogram of the current family (of type kHistogram).
  void Histogram(const Labels& labels, const common::LatencyHistogram& histogram);

  // The text so far; the writer is left empty.
  std::string Take() { return std::move(out_); }

 private:
  void AppendSeries(absl::string_view suffix, const Labels& labels, const char* extra_label,
                    absl::string_view extra_value, double value);

  std::string out_;
  std::string family_;
};

// A sample value as Prometheus writes it: integers without a fraction, +Inf/-Inf/NaN by name.
std::string PrometheusValue(double value);

}  // namespace larder::observability
