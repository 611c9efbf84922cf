#include "tests/support/prometheus_parser.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace larder::testing {
namespace {

bool ValidMetricName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool ValidLabelName(absl::string_view name) {
  if (name.empty() || absl::StartsWith(name, "__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool ParseValue(absl::string_view text, double& value) {
  if (text == "+Inf" || text == "Inf") {
    value = INFINITY;
    return true;
  }
  if (text == "-Inf") {
    value = -INFINITY;
    return true;
  }
  if (text == "NaN") {
    value = NAN;
    return true;
  }
  if (text.empty()) return false;
  const std::string copy(text);
  char* end = nullptr;
  value = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && std::isfinite(value) &&
         !absl::StrContains(copy, "x") && !absl::StrContains(copy, "X");
}

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // as written (escaped)
  double value = 0;
};

// Parses `name{labels} value [timestamp]`; returns an error message or "".
std::string ParseSample(absl::string_view line, Sample& out) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  out.name = std::string(line.substr(0, i));
  if (!ValidMetricName(out.name)) return "invalid metric name";
  if (i < line.size() && line[i] == '{') {
    ++i;
    std::set<std::string> seen;
    while (true) {
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      size_t eq = line.find('=', i);
      if (eq == absl::string_view::npos) return "label without '='";
      std::string label(line.substr(i, eq - i));
      if (!ValidLabelName(label)) return "invalid label name '" + label + "'";
      if (!seen.insert(label).second) return "label '" + label + "' twice";
      i = eq + 1;
      if (i >= line.size() || line[i] != '"') return "label value not quoted";
      ++i;
      std::string value;
      while (true) {
        if (i >= line.size()) return "unterminated label value";
        const char c = line[i];
        if (c == '"') break;
        if (c == '\n') return "raw newline in label value";
        if (c == '\\') {
          if (i + 1 >= line.size()) return "dangling escape";
          const char e = line[i + 1];
          if (e != '\\' && e != '"' && e != 'n') return "invalid escape in label value";
          value.push_back('\\');
          value.push_back(e);
          i += 2;
          continue;
        }
        value.push_back(c);
        ++i;
      }
      ++i;  // the closing quote
      out.labels.emplace_back(label, value);
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      return "expected ',' or '}' after a label";
    }
  }
  if (i >= line.size() || line[i] != ' ') return "expected a space before the value";
  std::vector<absl::string_view> rest = absl::StrSplit(line.substr(i + 1), ' ');
  if (rest.empty() || rest.size() > 2) return "expected a value and at most a timestamp";
  if (!ParseValue(rest[0], out.value)) return "invalid value '" + std::string(rest[0]) + "'";
  if (rest.size() == 2) {
    double timestamp;
    if (!ParseValue(rest[1], timestamp)) return "invalid timestamp";
  }
  return "";
}

}  // namespace

std::string SeriesKey(const std::string& name,
                      std::vector<std::pair<std::string, std::string>> labels) {
  if (labels.empty()) return name;
  std::sort(labels.begin(), labels.end());
  std::string key = name + "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) key += ",";
    absl::StrAppend(&key, labels[i].first, "=\"", labels[i].second, "\"");
  }
  return key + "}";
}

double ParsedMetrics::Value(const std::string& name,
                            std::vector<std::pair<std::string, std::string>> labels) const {
  auto it = samples.find(SeriesKey(name, std::move(labels)));
  return it == samples.end() ? -1 : it->second;
}

bool ParsedMetrics::Has(const std::string& name) const {
  for (const auto& [key, value] : samples) {
    if (key == name || absl::StartsWith(key, name + "{")) return true;
  }
  return false;
}

absl::StatusOr<ParsedMetrics> ParsePrometheusText(absl::string_view text) {
  ParsedMetrics parsed;
  if (!text.empty() && text.back() != '\n') {
    return absl::InvalidArgumentError("the text does not end with a newline");
  }
  std::set<std::string> closed;  // families whose samples are over
  std::string current;           // the family samples now belong to
  // Histogram bookkeeping, per family and label set without `le`.
  struct Buckets {
    std::vector<std::pair<double, double>> le_count;
    double count = -1, sum = NAN;
  };
  std::map<std::string, Buckets> histograms;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (line.empty()) continue;
    auto fail = [&](const std::string& why) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", number, ": ", why, ": ", std::string(line)));
    };
    if (line[0] == '#') {
      std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
      if (parts.size() >= 3 && (parts[1] == "HELP" || parts[1] == "TYPE")) {
        const std::string& family = parts[2];
        if (!ValidMetricName(family)) return fail("invalid family name");
        if (family != current) {
          if (closed.count(family) > 0) return fail("family '" + family + "' appears twice");
          if (!current.empty()) closed.insert(current);
          current = family;
        }
        if (parts[1] == "TYPE") {
          if (parts.size() != 4) return fail("TYPE without a type");
          static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                       "untyped"};
          if (kTypes.count(parts[3]) == 0) return fail("unknown type");
          if (parsed.types.count(family) > 0) return fail("second TYPE");
          parsed.types[family] = parts[3];
        } else {
          if (parsed.help.count(family) > 0) return fail("second HELP");
          parsed.help[family] = parts.size() == 4 ? parts[3] : "";
        }
      }
      continue;
    }
    Sample sample;
    if (std::string why = ParseSample(line, sample); !why.empty()) return fail(why);
    // The family: the name itself, or a histogram's base name.
    std::string family = sample.name;
    std::string suffix;
    for (const char* s : {"_bucket", "_sum", "_count"}) {
      if (absl::EndsWith(sample.name, s)) {
        const std::string base = sample.name.substr(0, sample.name.size() - strlen(s));
        auto type = parsed.types.find(base);
        if (type != parsed.types.end() &&
            (type->second == "histogram" || type->second == "summary")) {
          family = base;
          suffix = s;
        }
      }
    }
    if (family != current) {
      return fail("sample outside its family's block (no TYPE right before it)");
    }
    auto type = parsed.types.find(family);
    if (type == parsed.types.end()) return fail("sample before its TYPE");
    if (type->second == "histogram" && suffix.empty())
      return fail("histogram sample without suffix");
    if (type->second == "counter" && !(sample.value >= 0)) return fail("negative counter");
    const std::string key = SeriesKey(sample.name, sample.labels);
    if (!parsed.samples.emplace(key, sample.value).second) return fail("series twice");
    if (type->second == "histogram") {
      std::vector<std::pair<std::string, std::string>> without_le;
      std::string le;
      for (const auto& label : sample.labels) {
        if (label.first == "le") {
          le = label.second;
        } else {
          without_le.push_back(label);
        }
      }
      Buckets& buckets = histograms[SeriesKey(family, without_le)];
      if (suffix == "_bucket") {
        double bound;
        if (!ParseValue(le, bound)) return fail("bucket without a numeric le");
        if (!buckets.le_count.empty() && (bound <= buckets.le_count.back().first ||
                                          sample.value < buckets.le_count.back().second)) {
          return fail("buckets not in increasing le order or not cumulative");
        }
        buckets.le_count.emplace_back(bound, sample.value);
      } else if (suffix == "_count") {
        buckets.count = sample.value;
      } else {
        buckets.sum = sample.value;
      }
    }
  }
  for (const auto& [series, buckets] : histograms) {
    if (buckets.le_count.empty() || !std::isinf(buckets.le_count.back().first)) {
      return absl::InvalidArgumentError(series + ": no +Inf bucket");
    }
    if (buckets.count != buckets.le_count.back().second) {
      return absl::InvalidArgumentError(series + ": _count is not the +Inf bucket");
    }
    if (std::isnan(buckets.sum)) return absl::InvalidArgumentError(series + ": no _sum");
  }
  return parsed;
}

}  // namespace larder::testing
