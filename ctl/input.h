#pragma once

// Reading the objects `apply -f` is given (docs/cli.md "Object files"). A file holds one or more
// YAML documents (JSON is YAML), each one of:
//   - an object: its Feast message in protobuf's JSON mapping plus a `kind` member
//     ({"kind": "entity", "spec": {...}}), as `get -o yaml|json` prints;
//   - a list: {"kind": "List", "items": [objects]} or a bare array of objects, as `list` prints;
//   - a larder.v1 Upsert: {"feature_view": {...}} (one member, named after the kind).
// Input is read from files, every *.yaml/*.yml/*.json file of a directory (sorted by name, not
// recursive), or standard input ("-").

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "larder/v1/registry.pb.h"

namespace larder::ctl {

// One object read, as the Upsert that applies it, and where it came from ("file.yaml#2").
struct InputObject {
  v1::Upsert upsert;
  std::string origin;
};

// Every object in `paths`, in order. INVALID_ARGUMENT names the file and document that failed.
absl::StatusOr<std::vector<InputObject>> ReadObjects(const std::vector<std::string>& paths);

// The objects in YAML/JSON `text` (`origin` names it in errors).
absl::StatusOr<std::vector<InputObject>> ParseObjects(const std::string& text,
                                                      const std::string& origin);

}  // namespace larder::ctl
