#pragma once

// The Feast object kinds larderctl names on its command line, and how each one sits in the two
// messages that carry every kind: feast.core.Registry (a repeated field per kind) and
// larder.v1.Upsert (a oneof arm per kind). The names are the server's kind names
// (server/registry/kinds.h, storage/object_kind.cc): the Upsert arm and the change log use them
// too, so one table serves input, output and history.

#include <optional>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "feast/core/Registry.pb.h"
#include "google/protobuf/message.h"
#include "larder/v1/registry.pb.h"

namespace larder::ctl {

struct Kind {
  absl::string_view name;            // "feature_view": the Upsert arm and Change.kind
  absl::string_view registry_field;  // "feature_views": the feast.core.Registry field
  absl::string_view short_name;      // "fv": what users may type instead
};

// Every kind, in the order objects are applied and listed (dependencies first).
const std::vector<Kind>& AllKinds();

// The kind named `text` (its name, its registry field or its short name; '-' and '_' alike).
std::optional<Kind> FindKind(absl::string_view text);
// "entity, data_source, ...", for error messages and help.
std::string KindNames();

// The kind of an Upsert's set arm, or nullopt when none is set.
std::optional<Kind> KindOfUpsert(const v1::Upsert& upsert);
// A new empty message of the kind (owned by `upsert`'s arm).
google::protobuf::Message* MutableUpsertObject(v1::Upsert& upsert, const Kind& kind);
const google::protobuf::Message& UpsertObject(const v1::Upsert& upsert, const Kind& kind);

// The kind's objects in `registry`.
std::vector<const google::protobuf::Message*> ObjectsOf(const feast::core::Registry& registry,
                                                        const Kind& kind);
// Adds a copy of `object` (a message of `kind`) to `registry`.
void AddObject(feast::core::Registry& registry, const Kind& kind,
               const google::protobuf::Message& object);

// An object's name and project wherever its message keeps them (spec.name or name; a
// Project's project is its own name).
std::string NameOf(const google::protobuf::Message& object);
std::string ProjectOf(const google::protobuf::Message& object);
void SetProject(google::protobuf::Message& object, const std::string& project);

}  // namespace larder::ctl
