#include "server/http/json_diff.h"

#include <set>
#include <utility>
#include <vector>

namespace larder::http {
namespace {

// The keys of an array's items: their distinct "name"s, or their indexes when some item has no
// name or two share one.
std::vector<std::pair<std::string, const Json*>> Keyed(const Json& array) {
  std::vector<std::pair<std::string, const Json*>> by_name;
  std::set<std::string> seen;
  bool named = true;
  for (const Json& item : array) {
    auto name = item.is_object() ? item.find("name") : item.end();
    if (!item.is_object() || name == item.end() || !name->is_string() ||
        !seen.insert(name->get<std::string>()).second) {
      named = false;
      break;
    }
    by_name.emplace_back(name->get<std::string>(), &item);
  }
  if (named) return by_name;
  std::vector<std::pair<std::string, const Json*>> by_index;
  for (size_t i = 0; i < array.size(); ++i) by_index.emplace_back(std::to_string(i), &array[i]);
  return by_index;
}

const Json* Find(const std::vector<std::pair<std::string, const Json*>>& items,
                 const std::string& key) {
  for (const auto& [name, item] : items) {
    if (name == key) return item;
  }
  return nullptr;
}

void Add(Json& out, const std::string& path, const Json* from, const Json* to) {
  Json entry = Json::object();
  entry["path"] = path;
  entry["change"] = from == nullptr ? "added" : (to == nullptr ? "removed" : "changed");
  if (from != nullptr) entry["from"] = *from;
  if (to != nullptr) entry["to"] = *to;
  out.push_back(std::move(entry));
}

void Walk(Json& out, const std::string& path, const Json* from, const Json* to) {
  if (from != nullptr && to != nullptr && *from == *to) return;
  // A whole subtree that appeared or went is one entry: the UI shows it as a block.
  if (from == nullptr || to == nullptr || from->type() != to->type() ||
      !(from->is_object() || from->is_array())) {
    Add(out, path, from, to);
    return;
  }
  if (from->is_object()) {
    for (const auto& [key, value] : from->items()) {
      auto other = to->find(key);
      Walk(out, path.empty() ? key : path + "." + key, &value,
           other == to->end() ? nullptr : &*other);
    }
    for (const auto& [key, value] : to->items()) {
      if (!from->contains(key)) Walk(out, path.empty() ? key : path + "." + key, nullptr, &value);
    }
    return;
  }
  const auto old_items = Keyed(*from);
  const auto new_items = Keyed(*to);
  for (const auto& [key, item] : old_items) {
    Walk(out, path + "[" + key + "]", item, Find(new_items, key));
  }
  for (const auto& [key, item] : new_items) {
    if (Find(old_items, key) == nullptr) Walk(out, path + "[" + key + "]", nullptr, item);
  }
}

}  // namespace

Json JsonDiff(const Json& from, const Json& to) {
  Json out = Json::array();
  Walk(out, "", &from, &to);
  return out;
}

}  // namespace larder::http
