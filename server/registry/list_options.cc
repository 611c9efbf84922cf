#include "server/registry/list_options.h"

#include <algorithm>
#include <optional>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"

namespace larder::registry {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A resolved sort key. Order: missing < numbers < strings (as Feast's Python sort).
struct SortKey {
  int rank = 0;  // 0 missing, 1 number, 2 string
  double number = 0;
  std::string text;

  bool operator<(const SortKey& other) const {
    if (rank != other.rank) return rank < other.rank;
    if (rank == 1) return number < other.number;
    return text < other.text;
  }
};

// Looks up a field by name in `message`, or nullptr.
const FieldDescriptor* FieldNamed(const Message& message, absl::string_view name) {
  return message.GetDescriptor()->FindFieldByName(std::string(name));
}

SortKey KeyOfScalar(const Message& message, const FieldDescriptor* field) {
  const Reflection* r = message.GetReflection();
  SortKey key;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      key.rank = 2;
      key.text = absl::AsciiStrToLower(r->GetString(message, field));
      return key;
    case FieldDescriptor::CPPTYPE_INT32:
      return {1, static_cast<double>(r->GetInt32(message, field)), {}};
    case FieldDescriptor::CPPTYPE_INT64:
      return {1, static_cast<double>(r->GetInt64(message, field)), {}};
    case FieldDescriptor::CPPTYPE_UINT32:
      return {1, static_cast<double>(r->GetUInt32(message, field)), {}};
    case FieldDescriptor::CPPTYPE_UINT64:
      return {1, static_cast<double>(r->GetUInt64(message, field)), {}};
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return {1, r->GetDouble(message, field), {}};
    case FieldDescriptor::CPPTYPE_FLOAT:
      return {1, r->GetFloat(message, field), {}};
    case FieldDescriptor::CPPTYPE_BOOL:
      return {1, r->GetBool(message, field) ? 1.0 : 0.0, {}};
    case FieldDescriptor::CPPTYPE_ENUM:
      key.rank = 2;
      key.text = absl::AsciiStrToLower(r->GetEnum(message, field)->name());
      return key;
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (!r->HasField(message, field)) return key;
      const Message& sub = r->GetMessage(message, field);
      if (sub.GetDescriptor()->full_name() == "google.protobuf.Timestamp") {
        const auto& ts = static_cast<const google::protobuf::Timestamp&>(sub);
        // Chronological, like Python's sort of datetime text.
        return {1, static_cast<double>(ts.seconds()) + ts.nanos() / 1e9, {}};
      }
      key.rank = 2;
      key.text = absl::AsciiStrToLower(sub.ShortDebugString());
      return key;
    }
  }
  return key;
}

// Resolves a dotted path inside `message`; map fields take the next segment as a key.
SortKey Resolve(const Message& message, const std::vector<std::string>& path, size_t at) {
  const FieldDescriptor* field = FieldNamed(message, path[at]);
  if (field == nullptr) return {};
  const Reflection* r = message.GetReflection();
  const bool last = at + 1 == path.size();
  if (field->is_map()) {
    if (last) return {};
    for (int i = 0; i < r->FieldSize(message, field); ++i) {
      const Message& entry = r->GetRepeatedMessage(message, field, i);
      const FieldDescriptor* k = entry.GetDescriptor()->FindFieldByName("key");
      if (entry.GetReflection()->GetString(entry, k) == path[at + 1]) {
        if (at + 2 != path.size()) return {};
        return KeyOfScalar(entry, entry.GetDescriptor()->FindFieldByName("value"));
      }
    }
    return {};
  }
  if (field->is_repeated()) {
    if (!last) return {};
    SortKey key;
    key.rank = 2;
    for (int i = 0; i < r->FieldSize(message, field); ++i) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        key.text += absl::AsciiStrToLower(r->GetRepeatedString(message, field, i)) + ",";
      }
    }
    return key;
  }
  if (last) return KeyOfScalar(message, field);
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || !r->HasField(message, field)) {
    return {};
  }
  return Resolve(r->GetMessage(message, field), path, at + 1);
}

// Feast's keys are Python attribute names; most live under spec or meta of the proto.
SortKey KeyFor(const Message& message, const std::vector<std::string>& path) {
  SortKey key = Resolve(message, path, 0);
  for (const char* prefix : {"spec", "meta"}) {
    if (key.rank != 0) break;
    std::vector<std::string> prefixed = {prefix};
    prefixed.insert(prefixed.end(), path.begin(), path.end());
    key = Resolve(message, prefixed, 0);
  }
  return key;
}

}  // namespace

bool HasAllTags(const google::protobuf::Map<std::string, std::string>& tags,
                const google::protobuf::Map<std::string, std::string>& wanted) {
  for (const auto& [key, value] : wanted) {
    auto it = tags.find(key);
    if (it == tags.end() || it->second != value) return false;
  }
  return true;
}

void SortMessages(std::vector<const Message*>& items,
                  const feast::registry::SortingParams& sorting) {
  if (absl::StripAsciiWhitespace(sorting.sort_by()).empty()) return;
  const std::vector<std::string> path = absl::StrSplit(sorting.sort_by(), '.');
  std::vector<std::pair<SortKey, const Message*>> keyed;
  keyed.reserve(items.size());
  for (const Message* m : items) keyed.emplace_back(KeyFor(*m, path), m);
  const bool descending = absl::AsciiStrToLower(sorting.sort_order()) == "desc";
  std::stable_sort(keyed.begin(), keyed.end(), [descending](const auto& a, const auto& b) {
    return descending ? b.first < a.first : a.first < b.first;
  });
  for (size_t i = 0; i < items.size(); ++i) items[i] = keyed[i].second;
}

feast::registry::PaginationMetadata Paginate(size_t total,
                                             const feast::registry::PaginationParams& params,
                                             size_t& begin, size_t& end) {
  feast::registry::PaginationMetadata meta;
  begin = end = 0;
  if (total == 0) return meta;  // Feast: an empty list has all-zero metadata
  meta.set_total_count(static_cast<int32_t>(total));
  if (params.page() > 0 && params.limit() > 0) {
    const int64_t page = params.page(), limit = params.limit();
    const int64_t pages = (static_cast<int64_t>(total) + limit - 1) / limit;
    begin = std::min<size_t>(total, static_cast<size_t>((page - 1) * limit));
    end = std::min<size_t>(total, static_cast<size_t>(page * limit));
    meta.set_page(params.page());
    meta.set_limit(params.limit());
    meta.set_total_pages(static_cast<int32_t>(pages));
    meta.set_has_next(page < pages);
    meta.set_has_previous(page > 1);
  } else {
    begin = 0;
    end = total;
    meta.set_total_pages(1);
  }
  return meta;
}

}  // namespace larder::registry
