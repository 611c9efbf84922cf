#pragma once

#include <map>
#include <set>
#include <tuple>

#include "absl/synchronization/mutex.h"
#include "storage/store.h"

namespace larder::testing {

// A trivially correct Store over std::map (LevelDB's ModelDB idea): one global lock, a
// transaction works on a copy of the state and commits by replacing it. The differential test
// runs random operations against it and a real backend and compares every answer.
class ModelStore : public storage::Store {
 public:
  struct State {
    std::map<std::tuple<storage::ObjectKind, std::string, std::string>, storage::ObjectRow> objects;
    std::map<std::pair<std::string, std::string>, std::string> metadata;
    std::map<std::tuple<std::string, std::string, int32_t>, storage::VersionRecord> versions;
    std::vector<storage::ChangeRecord> changes;
    std::set<std::string> requests;  // request ids logged under another caller's change
    int64_t revision = 0;            // the revision counter
    int64_t compacted_through = 0;   // history retention's horizon
    // (project, kind, name) -> owner
    std::map<std::tuple<std::string, storage::ObjectKind, std::string>, std::string> owners;
    // The materialization ledger, by id.
    std::map<std::string, storage::MaterializationJobRow> jobs;
    std::map<std::string, storage::MaterializationTaskRow> tasks;
  };

  absl::Status Run(storage::TxMode mode,
                   absl::FunctionRef<absl::Status(storage::Transaction&)> body) override;
  absl::string_view backend_name() const override { return "model"; }

 private:
  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace larder::testing
