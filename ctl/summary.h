#pragma once

// The few columns a table shows for each kind, read from the object by field path.

#include <cstdint>
#include <string>
#include <vector>

#include "ctl/kinds.h"

namespace larder::ctl {

// Headers of the kind's extra columns (between NAME and UPDATED).
std::vector<std::string> SummaryHeaders(const Kind& kind);
// The extra column cells for `object`, matching SummaryHeaders.
std::vector<std::string> SummaryCells(const Kind& kind, const google::protobuf::Message& object);
// meta.last_updated_timestamp / meta.created_timestamp as RFC 3339 ("-": none).
std::string UpdatedText(const google::protobuf::Message& object);
std::string CreatedText(const google::protobuf::Message& object);
// meta.last_updated_timestamp in microseconds since the epoch, 0 when the object has none.
int64_t UpdatedMicros(const google::protobuf::Message& object);

}  // namespace larder::ctl
