#include "ctl/kinds.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace larder::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const FieldDescriptor* UpsertField(const Kind& kind) {
  return v1::Upsert::descriptor()->FindFieldByName(std::string(kind.name));
}

const FieldDescriptor* RegistryField(const Kind& kind) {
  return feast::core::Registry::descriptor()->FindFieldByName(std::string(kind.registry_field));
}

// The message holding name/project: `spec` when the kind has one, else the object itself.
const Message& Holder(const Message& object) {
  const FieldDescriptor* spec = object.GetDescriptor()->FindFieldByName("spec");
  if (spec == nullptr || spec->type() != FieldDescriptor::TYPE_MESSAGE) return object;
  return object.GetReflection()->GetMessage(object, spec);
}

std::string StringField(const Message& message, const char* name) {
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->type() != FieldDescriptor::TYPE_STRING) return "";
  return message.GetReflection()->GetString(message, field);
}

}  // namespace

const std::vector<Kind>& AllKinds() {
  static const std::vector<Kind> kinds = {
      {"project", "projects", "proj"},
      {"data_source", "data_sources", "ds"},
      {"entity", "entities", "ent"},
      {"feature_view", "feature_views", "fv"},
      {"stream_feature_view", "stream_feature_views", "sfv"},
      {"on_demand_feature_view", "on_demand_feature_views", "odfv"},
      {"label_view", "label_views", "lv"},
      {"feature_service", "feature_services", "fs"},
      {"saved_dataset", "saved_datasets", "sd"},
      {"validation_reference", "validation_references", "vr"},
      {"permission", "permissions", "perm"},
  };
  return kinds;
}

std::optional<Kind> FindKind(absl::string_view text) {
  const std::string wanted = absl::StrReplaceAll(text, {{"-", "_"}});
  for (const Kind& kind : AllKinds()) {
    if (wanted == kind.name || wanted == kind.registry_field || wanted == kind.short_name) {
      return kind;
    }
  }
  return std::nullopt;
}

std::string KindNames() {
  std::vector<absl::string_view> names;
  for (const Kind& kind : AllKinds()) names.push_back(kind.name);
  return absl::StrJoin(names, ", ");
}

std::optional<Kind> KindOfUpsert(const v1::Upsert& upsert) {
  for (const Kind& kind : AllKinds()) {
    if (upsert.GetReflection()->HasField(upsert, UpsertField(kind))) return kind;
  }
  return std::nullopt;
}

Message* MutableUpsertObject(v1::Upsert& upsert, const Kind& kind) {
  return upsert.GetReflection()->MutableMessage(&upsert, UpsertField(kind));
}

const Message& UpsertObject(const v1::Upsert& upsert, const Kind& kind) {
  return upsert.GetReflection()->GetMessage(upsert, UpsertField(kind));
}

std::vector<const Message*> ObjectsOf(const feast::core::Registry& registry, const Kind& kind) {
  const FieldDescriptor* field = RegistryField(kind);
  const auto* reflection = registry.GetReflection();
  std::vector<const Message*> objects;
  const int count = reflection->FieldSize(registry, field);
  for (int i = 0; i < count; ++i) {
    objects.push_back(&reflection->GetRepeatedMessage(registry, field, i));
  }
  return objects;
}

void AddObject(feast::core::Registry& registry, const Kind& kind, const Message& object) {
  registry.GetReflection()->AddMessage(&registry, RegistryField(kind))->CopyFrom(object);
}

std::string NameOf(const Message& object) { return StringField(Holder(object), "name"); }

std::string ProjectOf(const Message& object) {
  if (object.GetDescriptor() == feast::core::Project::descriptor()) return NameOf(object);
  return StringField(Holder(object), "project");
}

void SetProject(Message& object, const std::string& project) {
  if (object.GetDescriptor() == feast::core::Project::descriptor()) return;
  const FieldDescriptor* spec = object.GetDescriptor()->FindFieldByName("spec");
  Message* holder = &object;
  if (spec != nullptr && spec->type() == FieldDescriptor::TYPE_MESSAGE) {
    holder = object.GetReflection()->MutableMessage(&object, spec);
  }
  const FieldDescriptor* field = holder->GetDescriptor()->FindFieldByName("project");
  if (field != nullptr) holder->GetReflection()->SetString(holder, field, project);
}

}  // namespace larder::ctl
