#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "feast/registry/RegistryServer.pb.h"
#include "google/protobuf/map.h"
#include "google/protobuf/message.h"

namespace larder::registry {

// The filters, sorting and pagination a Feast List request carries.
struct ListOptions {
  google::protobuf::Map<std::string, std::string> tags;  // AND of exact key=value matches
  feast::registry::SortingParams sorting;
  feast::registry::PaginationParams pagination;
};

template <typename Message>
struct ListPage {
  std::vector<Message> items;
  feast::registry::PaginationMetadata pagination;
};

// True when every (key, value) of `wanted` is in `tags` (Feast's has_all_tags).
bool HasAllTags(const google::protobuf::Map<std::string, std::string>& tags,
                const google::protobuf::Map<std::string, std::string>& wanted);

// Stable-sorts `items` by `sorting.sort_by` (Feast semantics: case-insensitive strings, numbers
// before strings, missing keys first, "desc" reverses). Keys are resolved as Feast's Python
// attribute names (`name`, `created_timestamp`, `tags.team`) or as proto paths
// (`spec.name`, `meta.created_timestamp`).
void SortMessages(std::vector<const google::protobuf::Message*>& items,
                  const feast::registry::SortingParams& sorting);

// Computes Feast's pagination metadata for `total` items and the [begin, end) slice to return
// (all-zero metadata and an empty slice for an empty list).
feast::registry::PaginationMetadata Paginate(size_t total,
                                             const feast::registry::PaginationParams& params,
                                             size_t& begin, size_t& end);

// Applies sorting and pagination to an already filtered list. `sort_view` gives the message
// whose fields the sort keys name (the item itself, or e.g. the view inside an AnyFeatureView).
template <typename Message, typename SortView>
ListPage<Message> SortAndPaginateBy(std::vector<Message> filtered, const ListOptions& options,
                                    SortView sort_view) {
  ListPage<Message> page;
  std::vector<const google::protobuf::Message*> order;
  order.reserve(filtered.size());
  for (const Message& m : filtered) order.push_back(&sort_view(m));
  SortMessages(order, options.sorting);
  std::map<const google::protobuf::Message*, size_t> position;
  for (size_t i = 0; i < filtered.size(); ++i) position[&sort_view(filtered[i])] = i;
  size_t begin = 0, end = 0;
  page.pagination = Paginate(order.size(), options.pagination, begin, end);
  page.items.reserve(end - begin);
  // Each position is taken once, so the items can be moved out rather than copied.
  for (size_t i = begin; i < end; ++i) {
    page.items.push_back(std::move(filtered[position[order[i]]]));
  }
  return page;
}

template <typename Message>
ListPage<Message> SortAndPaginate(std::vector<Message> filtered, const ListOptions& options) {
  return SortAndPaginateBy(std::move(filtered), options,
                           [](const Message& m) -> const google::protobuf::Message& { return m; });
}

}  // namespace larder::registry
