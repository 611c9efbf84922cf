#include "ctl/change_text.h"

#include "absl/strings/str_cat.h"
#include "ctl/kinds.h"
#include "ctl/output.h"
#include "ctl/yaml_json.h"

namespace larder::ctl {

std::vector<std::string> ChangeHeaders(bool with_object_columns) {
  if (with_object_columns) {
    return {"REVISION", "PROJECT", "KIND", "NAME", "OPERATION", "VERSION", "ACTOR", "CHANGED AT"};
  }
  return {"REVISION", "VERSION", "OPERATION", "ACTOR", "CHANGED AT"};
}

std::vector<std::string> ChangeCells(const v1::Change& change, bool with_object_columns) {
  const std::string actor = change.actor().empty() ? "-" : change.actor();
  if (with_object_columns) {
    return {absl::StrCat(change.revision()),
            change.project(),
            change.kind(),
            change.name(),
            change.operation(),
            absl::StrCat(change.object_version()),
            actor,
            TimeText(change.changed_at())};
  }
  return {absl::StrCat(change.revision()), absl::StrCat(change.object_version()),
          change.operation(), actor, TimeText(change.changed_at())};
}

std::string ChangeJson(const v1::Change& change, bool with_object) {
  std::vector<std::pair<std::string, std::string>> members = {
      {"revision", absl::StrCat(change.revision())},
      {"project", JsonQuote(change.project())},
      {"kind", JsonQuote(change.kind())},
      {"name", JsonQuote(change.name())},
      {"operation", JsonQuote(change.operation())},
      {"version", absl::StrCat(change.object_version())},
      {"actor", JsonQuote(change.actor())},
      {"changedAt", JsonQuote(TimeText(change.changed_at()))},
  };
  if (!change.request_id().empty())
    members.push_back({"requestId", JsonQuote(change.request_id())});
  if (with_object && !change.object().empty()) {
    if (std::optional<Kind> kind = FindKind(change.kind())) {
      v1::Upsert holder;
      google::protobuf::Message* object = MutableUpsertObject(holder, *kind);
      if (object->ParseFromString(change.object())) {
        members.push_back({"object", ObjectDocument(std::string(kind->name), *object)});
      }
    }
  }
  return JsonObject(members);
}

}  // namespace larder::ctl
