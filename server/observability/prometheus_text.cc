#include "server/observability/prometheus_text.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace larder::observability {
namespace {

// HELP text escapes backslash and newline; label values also escape the double quote.
void AppendEscaped(std::string& out, absl::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (quote && c == '"') {
      out.append("\\\"");
    } else {
      out.push_back(c);
    }
  }
}

const char* TypeName(PrometheusText::Type type) {
  switch (type) {
    case PrometheusText::Type::kCounter:
      return "counter";
    case PrometheusText::Type::kGauge:
      return "gauge";
    case PrometheusText::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string PrometheusValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // The shortest of 15 or 17 significant digits that reads back as the same double.
  std::string shorter = absl::StrFormat("%.15g", value);
  if (std::strtod(shorter.c_str(), nullptr) == value) return shorter;
  return absl::StrFormat("%.17g", value);
}

void PrometheusText::Family(absl::string_view name, Type type, absl::string_view help) {
  family_ = std::string(name);
  absl::StrAppend(&out_, "# HELP ", name, " ");
  AppendEscaped(out_, help, /*quote=*/false);
  absl::StrAppend(&out_, "\n# TYPE ", name, " ", TypeName(type), "\n");
}

void PrometheusText::AppendSeries(absl::string_view suffix, const Labels& labels,
                                  const char* extra_label, absl::string_view extra_value,
                                  double value) {
  absl::StrAppend(&out_, family_, suffix);
  if (!labels.empty() || extra_label != nullptr) {
    out_.push_back('{');
    bool first = true;
    for (const auto& [name, label_value] : labels) {
      if (!first) out_.push_back(',');
      first = false;
      absl::StrAppend(&out_, name, "=\"");
      AppendEscaped(out_, label_value, /*quote=*/true);
      out_.push_back('"');
    }
    if (extra_label != nullptr) {
      if (!first) out_.push_back(',');
      absl::StrAppend(&out_, extra_label, "=\"", extra_value, "\"");
    }
    out_.push_back('}');
  }
  absl::StrAppend(&out_, " ", PrometheusValue(value), "\n");
}

void PrometheusText::Sample(const Labels& labels, double value) {
  AppendSeries("", labels, nullptr, "", value);
}

void PrometheusText::Histogram(const Labels& labels, const common::LatencyHistogram& histogram) {
  // Buckets are read once each and summed here, so the series is cumulative even while calls
  // are recorded concurrently; the count is the +Inf bucket's, as the format requires.
  int64_t cumulative = 0;
  for (size_t i = 0; i < common::LatencyHistogram::kBounds.size(); ++i) {
    cumulative += histogram.bucket(i);
    AppendSeries("_bucket", labels, "le", PrometheusValue(common::LatencyHistogram::kBounds[i]),
                 static_cast<double>(cumulative));
  }
  cumulative += histogram.bucket(common::LatencyHistogram::kBounds.size());
  AppendSeries("_bucket", labels, "le", "+Inf", static_cast<double>(cumulative));
  AppendSeries("_sum", labels, nullptr, "", histogram.sum_seconds());
  AppendSeries("_count", labels, nullptr, "", static_cast<double>(cumulative));
}

}  // namespace larder::observability
