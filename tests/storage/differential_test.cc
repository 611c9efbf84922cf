// Random operations against each real backend and the std::map model; every answer must agree.
#include <catch2/catch.hpp>

#include <random>

#include "absl/strings/str_cat.h"
#include "tests/storage/store_fixture.h"
#include "tests/support/model_store.h"

namespace larder::testing {
namespace {

using storage::ObjectKind;
using storage::Transaction;

// One random step, applied identically to a store; returns a printable summary of its outcome.
std::string Step(storage::Store& store, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const ObjectKind kinds[] = {ObjectKind::kEntity, ObjectKind::kFeatureView, ObjectKind::kProject,
                              ObjectKind::kPermission};
  const ObjectKind kind = kinds[pick(4)];
  const std::string project = absl::StrCat("p", pick(2));
  const std::string name = kind == ObjectKind::kProject ? project : absl::StrCat("n", pick(4));
  const std::string proto = absl::StrCat("proto-", pick(1000), std::string("\0", 1));
  const int64_t seconds = pick(100);
  const bool abort_after = pick(8) == 0;
  std::string outcome;
  absl::Status status = store.Run(storage::TxMode::kReadWrite, [&](Transaction& tx) {
    outcome.clear();
    absl::Status s;
    switch (pick(9)) {
      case 0:
      case 1:
        s = tx.InsertObject(kind, {project, name, proto, seconds, pick(5)});
        break;
      case 2:
        s = tx.UpdateObject(kind, {project, name, proto, seconds, pick(5)});
        break;
      case 3: {
        auto deleted = tx.DeleteObject(kind, project, name);
        s = deleted.status();
        if (deleted.ok()) outcome = absl::StrCat("deleted=", *deleted);
        break;
      }
      case 4: {
        auto rows =
            tx.ListObjects(kind, project, pick(2) ? std::optional<int64_t>(50) : std::nullopt);
        s = rows.status();
        if (rows.ok()) {
          for (const auto& r : *rows) {
            absl::StrAppend(&outcome, r.project, "/", r.name, "=", r.proto, "@",
                            r.last_updated_seconds, "v", r.version, ";");
          }
        }
        break;
      }
      case 5: {
        auto inserted = tx.InsertMetadataIfAbsent(project, absl::StrCat("k", pick(2)),
                                                  absl::StrCat("value-", pick(1000)), 1);
        s = inserted.status();
        if (inserted.ok()) outcome = absl::StrCat("inserted=", *inserted);
        break;
      }
      case 6:
        s = tx.PutMetadata(project, absl::StrCat("k", pick(2)), absl::StrCat("value-", pick(1000)),
                           2);
        break;
      case 7:
        s = tx.InsertVersion({project, name, pick(3), "feature_view", proto, 1, "", "id"});
        break;
      case 8: {
        auto existed = tx.DeleteProjectCascade(project);
        s = existed.status();
        if (existed.ok()) outcome = absl::StrCat("existed=", *existed);
        break;
      }
    }
    if (!s.ok()) return s;
    storage::ChangeRecord change;
    change.project = project;
    change.kind = kind;
    change.name = name;
    change.proto = proto;
    tx.RecordChange(change);
    if (abort_after) return absl::FailedPreconditionError("rolled back on purpose");
    return absl::OkStatus();
  });
  return absl::StrCat(absl::StatusCodeToString(status.code()), " ", outcome);
}

// The whole observable state, in a canonical text form.
std::string Dump(storage::Store& store) {
  std::string out;
  MustRead(store, [&](Transaction& tx) -> absl::Status {
    for (const char* project : {"p0", "p1"}) {
      for (const storage::KindTable& t : storage::AllKindTables()) {
        auto rows = tx.ListObjects(t.kind, project);
        if (!rows.ok()) return rows.status();
        for (const auto& r : *rows) {
          absl::StrAppend(&out, t.kind_name, ":", r.project, "/", r.name, "=", r.proto, "v",
                          r.version, "\n");
        }
      }
      auto metadata = tx.ListMetadata(project);
      if (!metadata.ok()) return metadata.status();
      for (const auto& [k, v] : *metadata) absl::StrAppend(&out, "meta:", project, k, "=", v, "\n");
      for (int n = 0; n < 4; ++n) {
        auto versions = tx.ListVersions(project, absl::StrCat("n", n));
        if (!versions.ok()) return versions.status();
        for (const auto& v : *versions)
          absl::StrAppend(&out, "ver:", v.view_name, v.version_number, "\n");
      }
    }
    auto changes = tx.ListChanges(0, 100000);
    if (!changes.ok()) return changes.status();
    for (const auto& c : *changes) absl::StrAppend(&out, "chg:", c.revision, c.name, c.proto, "\n");
    return absl::OkStatus();
  });
  return out;
}

void Differential(ScratchDatabase& db) {
  auto real = OpenMigratedStore(db);
  ModelStore model;
  constexpr int kSteps = 400;
  for (int i = 0; i < kSteps; ++i) {
    const uint32_t seed = 7919u * static_cast<uint32_t>(i) + 17u;
    const std::string expected = Step(model, seed);
    const std::string actual = Step(*real, seed);
    INFO("step " << i << " seed " << seed);
    REQUIRE(actual == expected);
  }
  CHECK(Dump(*real) == Dump(model));
}
LARDER_BACKEND_TEST("Random operations agree with the in-memory model", Differential)

}  // namespace
}  // namespace larder::testing
