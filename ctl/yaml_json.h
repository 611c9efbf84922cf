#pragma once

// YAML nodes to JSON text: the one conversion behind pretty JSON output (JSON loaded as YAML
// keeps its member order) and YAML input (documents handed to protobuf's JSON parser).

#include <yaml-cpp/yaml.h>

#include <string>

namespace larder::ctl {

// A plain (unquoted) scalar becomes a JSON number, true/false or null when it reads as one,
// otherwise a string; a quoted scalar is always a string. indent < 0: compact.
std::string NodeToJson(const YAML::Node& node, int indent = -1);

// A JSON string literal for `text`.
std::string JsonQuote(const std::string& text);

}  // namespace larder::ctl
