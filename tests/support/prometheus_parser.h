#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace larder::testing {

// A strict reader of the Prometheus text exposition format (0.0.4), for tests of what /metrics
// serves: it refuses what Prometheus would refuse or silently misread, and also what the format
// allows but a well-formed exporter never writes (a family split in two, a series twice, a
// sample before its TYPE, a histogram whose buckets are not cumulative or whose count is not
// its +Inf bucket, a negative counter).
struct ParsedMetrics {
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram|...
  std::map<std::string, std::string> help;   // family -> help text (unescaped)
  // Series key -> value; the key is the name and the labels sorted by name:
  // `name{a="x",b="y"}` (values as written, escapes kept), or `name` without labels.
  std::map<std::string, double> samples;

  // The value of `name` with exactly these labels, or -1 when there is no such series.
  double Value(const std::string& name,
               std::vector<std::pair<std::string, std::string>> labels = {}) const;
  // Whether some series of `name` exists (any labels).
  bool Has(const std::string& name) const;
};

// INVALID_ARGUMENT naming the line and what is wrong with it.
absl::StatusOr<ParsedMetrics> ParsePrometheusText(absl::string_view text);

// The key ParsedMetrics uses for a series.
std::string SeriesKey(const std::string& name,
                      std::vector<std::pair<std::string, std::string>> labels);

}  // namespace larder::testing
