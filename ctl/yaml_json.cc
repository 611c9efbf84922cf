#include "ctl/yaml_json.h"

#include <cstdio>
#include <regex>

namespace larder::ctl {
namespace {

std::string Literal(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return JsonQuote(text);  // quoted in the source
  if (text == "true" || text == "True" || text == "TRUE") return "true";
  if (text == "false" || text == "False" || text == "FALSE") return "false";
  if (text == "null" || text == "Null" || text == "NULL" || text == "~") return "null";
  static const std::regex kNumber(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, kNumber)) return text;
  return JsonQuote(text);
}

void Write(const YAML::Node& node, int indent, int depth, std::string& out) {
  const bool pretty = indent >= 0;
  auto newline = [&](int level) {
    if (pretty) out += "\n" + std::string(static_cast<size_t>(indent * level), ' ');
  };
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      if (node.size() == 0) {
        out += "{}";
        return;
      }
      out += "{";
      bool first = true;
      for (const auto& item : node) {
        if (!first) out += ",";
        first = false;
        newline(depth + 1);
        out += JsonQuote(item.first.Scalar());
        out += pretty ? ": " : ":";
        Write(item.second, indent, depth + 1, out);
      }
      newline(depth);
      out += "}";
      return;
    }
    case YAML::NodeType::Sequence: {
      if (node.size() == 0) {
        out += "[]";
        return;
      }
      out += "[";
      bool first = true;
      for (const auto& item : node) {
        if (!first) out += ",";
        first = false;
        newline(depth + 1);
        Write(item, indent, depth + 1, out);
      }
      newline(depth);
      out += "]";
      return;
    }
    case YAML::NodeType::Scalar:
      out += Literal(node);
      return;
    default:
      out += "null";
  }
}

}  // namespace

std::string NodeToJson(const YAML::Node& node, int indent) {
  std::string out;
  Write(node, indent, 0, out);
  return out;
}

std::string JsonQuote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace larder::ctl
