#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "server/service/method.h"
#include "server/service/reply.h"

namespace larder::http {

// JSON objects keep their keys in insertion order, as Python dicts do, so responses list fields
// in the order Feast's REST server writes them.
using Json = nlohmann::ordered_json;

// `message` as Feast's REST server renders it with protobuf's MessageToDict: lowerCamelCase
// field names, fields at their default value left out, int64 as strings, enums by name,
// Timestamps as RFC 3339.
Json ProtoToJson(const google::protobuf::Message& message);

// The response message of `method` that `reply` holds, decoded when the reply is stored bytes.
// Returns INTERNAL when the bytes do not parse.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ReplyMessage(
    const service::Method& method, const service::Reply& reply);

}  // namespace larder::http
