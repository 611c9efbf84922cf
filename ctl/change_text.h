#pragma once

// How a change-log entry (larder.v1 Change) is shown by history, changes, watch and describe.

#include <string>
#include <vector>

#include "larder/v1/registry.pb.h"

namespace larder::ctl {

std::vector<std::string> ChangeHeaders(bool with_object_columns);
std::vector<std::string> ChangeCells(const v1::Change& change, bool with_object_columns);
// The change as JSON; `with_object`: the object as it was after the change, as a document
// `apply -f` reads.
std::string ChangeJson(const v1::Change& change, bool with_object);

}  // namespace larder::ctl
