#include "ctl/input.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ctl/kinds.h"
#include "ctl/yaml_json.h"
#include "google/protobuf/util/json_util.h"

namespace larder::ctl {
namespace {

absl::Status Invalid(const std::string& origin, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(origin, ": ", message));
}

absl::Status ParseInto(const YAML::Node& node, google::protobuf::Message& message,
                       const std::string& origin) {
  google::protobuf::util::JsonParseOptions options;
  const auto status =
      google::protobuf::util::JsonStringToMessage(NodeToJson(node), &message, options);
  if (!status.ok()) {
    return Invalid(origin, absl::StrCat("not a valid ", message.GetDescriptor()->full_name(), ": ",
                                        std::string(status.message())));
  }
  return absl::OkStatus();
}

// One object document (an object with `kind`, or an Upsert) into `out`.
absl::Status AddObject(const YAML::Node& node, const std::string& origin,
                       std::vector<InputObject>& out) {
  if (!node.IsMap()) return Invalid(origin, "expected an object (a mapping)");
  InputObject object;
  object.origin = origin;
  if (node["kind"]) {
    const std::string kind_text = node["kind"].Scalar();
    std::optional<Kind> kind = FindKind(kind_text);
    if (!kind.has_value()) {
      return Invalid(origin, absl::StrCat("unknown kind \"", kind_text, "\" (", KindNames(), ")"));
    }
    YAML::Node body(YAML::NodeType::Map);
    for (const auto& item : node) {
      if (item.first.Scalar() != "kind") body[item.first.Scalar()] = item.second;
    }
    absl::Status parsed = ParseInto(body, *MutableUpsertObject(object.upsert, *kind), origin);
    if (!parsed.ok()) return parsed;
  } else {
    absl::Status parsed = ParseInto(node, object.upsert, origin);
    if (!parsed.ok()) return parsed;
    if (!KindOfUpsert(object.upsert).has_value()) {
      return Invalid(origin, "no `kind` member and no object (e.g. {\"entity\": {...}})");
    }
  }
  out.push_back(std::move(object));
  return absl::OkStatus();
}

absl::Status AddDocument(const YAML::Node& node, const std::string& origin,
                         std::vector<InputObject>& out) {
  if (!node || node.IsNull()) return absl::OkStatus();  // an empty document
  const YAML::Node* items = nullptr;
  YAML::Node list_items;
  if (node.IsSequence()) {
    items = &node;
  } else if (node.IsMap() && node["kind"] && node["kind"].Scalar() == "List") {
    list_items = node["items"];
    items = &list_items;
  }
  if (items == nullptr) return AddObject(node, origin, out);
  int index = 0;
  for (const auto& item : *items) {
    absl::Status added = AddObject(item, absl::StrCat(origin, "[", index++, "]"), out);
    if (!added.ok()) return added;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  text << in.rdbuf();
  return text.str();
}

bool IsObjectFile(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

}  // namespace

absl::StatusOr<std::vector<InputObject>> ParseObjects(const std::string& text,
                                                      const std::string& origin) {
  std::vector<InputObject> out;
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return Invalid(origin, absl::StrCat("line ", e.mark.line + 1, ": ", e.msg));
  }
  for (size_t i = 0; i < documents.size(); ++i) {
    const std::string where = documents.size() > 1 ? absl::StrCat(origin, "#", i + 1) : origin;
    absl::Status added = AddDocument(documents[i], where, out);
    if (!added.ok()) return added;
  }
  return out;
}

absl::StatusOr<std::vector<InputObject>> ReadObjects(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    if (path != "-" && std::filesystem::is_directory(path, error)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file() && IsObjectFile(entry.path())) {
          found.push_back(entry.path().string());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);
    }
  }
  std::vector<InputObject> out;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadText(file);
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<InputObject>> objects =
        ParseObjects(*text, file == "-" ? "<stdin>" : file);
    if (!objects.ok()) return objects.status();
    for (InputObject& object : *objects) out.push_back(std::move(object));
  }
  return out;
}

}  // namespace larder::ctl
