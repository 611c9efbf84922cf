// A complete materialization worker on Larder's C++ client: read the feature view, work out the
// window from its recorded intervals, do the work, record the interval. Any number of these may
// run at once against one view: Larder appends each interval under the view's row lock.
//
// Usage: materialization_worker HOST:PORT[,HOST:PORT...] PROJECT FEATURE_VIEW END_UNIX_SECONDS
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_split.h"
#include "client/registry_client.h"
#include "common/feast_error.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s ADDRESSES PROJECT FEATURE_VIEW END_UNIX_SECONDS\n", argv[0]);
    return 2;
  }
  larder::client::ClientOptions options;
  options.addresses = absl::StrSplit(argv[1], ',');
  options.deadline = absl::Seconds(5);
  // With auth on, return a fresh token here, e.g. read from a mounted service-account file.
  options.token_provider = [] {
    const char* token = std::getenv("LARDER_TOKEN");
    return std::string(token != nullptr ? token : "");
  };
  auto client = larder::client::RegistryClient::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  const std::string project = argv[2], name = argv[3];

  // 1. Read the view (retried on UNAVAILABLE/ABORTED: reads are idempotent).
  absl::StatusOr<feast::core::FeatureView> view = (*client)->GetFeatureView(project, name);
  if (!view.ok()) {
    // Feast's exception class survives the trip: a missing view is FeatureViewNotFoundException.
    if (larder::FeastClassOf(view.status()) == "FeatureViewNotFoundException") {
      std::fprintf(stderr, "no feature view %s in %s\n", name.c_str(), project.c_str());
    } else {
      std::fprintf(stderr, "cannot read the view: %s\n", view.status().ToString().c_str());
    }
    return 1;
  }

  // 2. The window starts where the last materialization ended (Feast's most_recent_end_time).
  google::protobuf::Timestamp start, end;
  for (const auto& interval : view->meta().materialization_intervals()) {
    if (interval.end_time().seconds() > start.seconds()) start = interval.end_time();
  }
  end.set_seconds(std::atoll(argv[4]));
  if (end.seconds() <= start.seconds()) {
    std::printf("%s is up to date\n", name.c_str());
    return 0;
  }

  // 3. The actual work: read [start, end) from the offline store, write the online store.
  std::printf("materializing %s from %lld to %lld\n", name.c_str(),
              static_cast<long long>(start.seconds()), static_cast<long long>(end.seconds()));

  // 4. Record the interval. Not retried after UNAVAILABLE (it might have landed already); an
  //    ABORTED (nothing committed) is retried by the client.
  absl::Status recorded = (*client)->ApplyMaterialization(project, *view, start, end);
  if (!recorded.ok()) {
    std::fprintf(stderr, "interval not recorded: %s\n", recorded.ToString().c_str());
    return 1;
  }
  std::printf("recorded [%lld, %lld) via %s\n", static_cast<long long>(start.seconds()),
              static_cast<long long>(end.seconds()), (*client)->current_address().c_str());
  return 0;
}
