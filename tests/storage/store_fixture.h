#pragma once

#include <catch2/catch.hpp>

#include <memory>

#include "storage/open_store.h"
#include "tests/support/scratch_database.h"

namespace larder::testing {

// Opens a migrated store on a scratch database.
inline std::unique_ptr<storage::SqlStore> OpenMigratedStore(
    const ScratchDatabase& db, storage::StoreOptions options = {},
    std::function<std::unique_ptr<storage::Connection>(std::unique_ptr<storage::Connection>)> wrap =
        nullptr) {
  auto url = storage::ParseDatabaseUrl(db.url());
  REQUIRE(url.ok());
  auto store = storage::OpenStore(*url, options, std::move(wrap));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  auto schema = storage::PrepareStoreSchema(**store, /*allow_migrate=*/false);
  INFO(schema.status().ToString());
  REQUIRE(schema.ok());
  return *std::move(store);
}

// Runs `body` in a read-write transaction and requires success.
template <typename Body>
void MustWrite(storage::Store& store, Body&& body) {
  absl::Status status = store.Run(storage::TxMode::kReadWrite, body);
  INFO(status.ToString());
  REQUIRE(status.ok());
}

// Runs `body` in a read-only transaction and requires success.
template <typename Body>
void MustRead(storage::Store& store, Body&& body) {
  absl::Status status = store.Run(storage::TxMode::kReadOnly, body);
  INFO(status.ToString());
  REQUIRE(status.ok());
}

}  // namespace larder::testing
