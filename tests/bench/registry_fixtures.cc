#include "tests/bench/registry_fixtures.h"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "feast/types/Value.pb.h"
#include "google/protobuf/empty.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/bench/closed_loop.h"

namespace larder::bench {
namespace {
// How often a seeding chunk is re-applied after failed calls before giving up.
constexpr int kSeedRetries = 3;
// Lowered to 1 for the rest of the process once concurrent creations failed.
std::atomic<int> seed_in_flight_cap{1 << 20};
}  // namespace

void LimitSeedInFlight(int n) { seed_in_flight_cap = std::max(1, n); }

feast::core::FeatureView MakeFeatureView(const std::string& name, size_t target_bytes) {
  feast::core::FeatureView view;
  feast::core::FeatureViewSpec* spec = view.mutable_spec();
  spec->set_name(name);
  spec->add_entities("driver");
  for (int i = 0; i < 16; ++i) {
    feast::core::FeatureSpecV2* f = spec->add_features();
    f->set_name(absl::StrCat("feature_", i));
    f->set_value_type(i % 2 == 0 ? feast::types::ValueType::DOUBLE
                                 : feast::types::ValueType::INT64);
    f->set_description(absl::StrCat("Rolling statistic ", i, " of the driver's recent trips"));
    (*f->mutable_tags())["team"] = "driver-performance";
  }
  feast::core::FeatureSpecV2* join = spec->add_entity_columns();
  join->set_name("driver_id");
  join->set_value_type(feast::types::ValueType::INT64);
  spec->mutable_ttl()->set_seconds(86400);
  feast::core::DataSource* source = spec->mutable_batch_source();
  source->set_name(absl::StrCat(name, "_source"));
  source->set_type(feast::core::DataSource::BATCH_FILE);
  source->set_timestamp_field("event_timestamp");
  source->set_created_timestamp_column("created");
  source->mutable_file_options()->set_uri(
      absl::StrCat("s3://feature-data/driver_stats/", name, "/data.parquet"));
  source->set_data_source_class_type("feast.infra.offline_stores.file_source.FileSource");
  spec->set_online(true);
  spec->set_offline(true);
  spec->set_owner("ml-platform@example.com");
  (*spec->mutable_tags())["domain"] = "mobility";
  (*spec->mutable_tags())["tier"] = "gold";
  const size_t size = view.ByteSizeLong();
  if (size < target_bytes) spec->set_description(std::string(target_bytes - size - 3, 'd'));
  return view;
}

feast::core::Entity MakeEntity(const std::string& name) {
  feast::core::Entity entity;
  feast::core::EntitySpecV2* spec = entity.mutable_spec();
  spec->set_name(name);
  spec->set_join_key(absl::StrCat(name, "_id"));
  spec->set_value_type(feast::types::ValueType::INT64);
  spec->set_description(std::string(200, 'e'));
  spec->set_owner("ml-platform@example.com");
  (*spec->mutable_tags())["domain"] = "mobility";
  return entity;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(1 << 30);
  args.SetMaxSendMessageSize(1 << 30);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

absl::Status WaitForServer(const std::shared_ptr<grpc::Channel>& channel, double timeout_seconds) {
  const auto deadline = std::chrono::system_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  if (!channel->WaitForConnected(deadline)) {
    return absl::UnavailableError("the registry server did not accept a connection");
  }
  return absl::OkStatus();
}

absl::Status ApplyViews(RegistryStub& stub, const std::string& project, int64_t first,
                        int64_t count, int in_flight,
                        const std::function<std::string(int64_t)>& name_of,
                        const std::function<void(int64_t)>& progress, int64_t progress_every,
                        int64_t* bytes_applied) {
  using feast::registry::ApplyFeatureViewRequest;
  const feast::core::FeatureView model = MakeFeatureView("model");
  int64_t bytes = 0;
  int retries = 0;
  in_flight = std::min(in_flight, seed_in_flight_cap.load());
  for (int64_t done = 0; done < count;) {
    const int64_t chunk = std::min(count - done, progress ? progress_every : count);
    LoopOptions options;
    options.in_flight = in_flight;
    options.max_calls = chunk;
    const int64_t base = first + done;
    std::atomic<int64_t> chunk_bytes{0};
    CellResult r = RunClosedLoop<ApplyFeatureViewRequest, google::protobuf::Empty>(
        options,
        [&](int, int64_t seq, ApplyFeatureViewRequest& request) {
          if (!request.has_feature_view()) {
            *request.mutable_feature_view() = model;
            request.set_project(project);
            request.set_commit(true);
          }
          feast::core::FeatureViewSpec* spec = request.mutable_feature_view()->mutable_spec();
          const std::string name = name_of(base + seq);
          spec->mutable_batch_source()->set_name(name + "_source");
          spec->set_name(name);
          chunk_bytes += static_cast<int64_t>(request.feature_view().ByteSizeLong());
        },
        [&stub](grpc::ClientContext* c, const ApplyFeatureViewRequest* q,
                google::protobuf::Empty* r, std::function<void(grpc::Status)> done) {
          stub.async()->ApplyFeatureView(c, q, r, std::move(done));
        });
    if (r.errors > 0) {
      // Re-apply the chunk: views already written are unchanged, so those calls are no-ops.
      if (++retries > kSeedRetries) {
        return absl::InternalError(
            absl::StrCat("ApplyFeatureView failed while seeding ", project, ": ", r.first_error));
      }
      // Concurrent creations can fail on some servers (Larder on PostgreSQL deadlocks on the
      // project row): seed one at a time from here on.
      std::fprintf(stderr,
                   "larder-bench: %lld of %lld seeding calls failed (%s); retrying with 1 in "
                   "flight\n",
                   static_cast<long long>(r.errors), static_cast<long long>(chunk),
                   r.first_error.substr(0, r.first_error.find('\n')).c_str());
      in_flight = 1;
      seed_in_flight_cap = 1;
      continue;
    }
    done += chunk;
    bytes += chunk_bytes;
    if (progress) progress(done);
  }
  if (bytes_applied != nullptr) *bytes_applied += bytes;
  return absl::OkStatus();
}

absl::Status ApplyEntities(RegistryStub& stub, const std::string& project, int64_t count,
                           const std::function<std::string(int64_t)>& name_of) {
  using feast::registry::ApplyEntityRequest;
  LoopOptions options;
  options.in_flight = 8;
  options.max_calls = count;
  CellResult r = RunClosedLoop<ApplyEntityRequest, google::protobuf::Empty>(
      options,
      [&](int, int64_t seq, ApplyEntityRequest& request) {
        *request.mutable_entity() = MakeEntity(name_of(seq));
        request.set_project(project);
        request.set_commit(true);
      },
      [&stub](grpc::ClientContext* c, const ApplyEntityRequest* q, google::protobuf::Empty* r,
              std::function<void(grpc::Status)> done) {
        stub.async()->ApplyEntity(c, q, r, std::move(done));
      });
  if (r.errors > 0) {
    return absl::InternalError(
        absl::StrCat("ApplyEntity failed while seeding ", project, ": ", r.first_error));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CountFeatureViews(RegistryStub& stub, const std::string& project) {
  feast::registry::ListFeatureViewsRequest request;
  request.set_project(project);
  request.mutable_pagination()->set_page(1);
  request.mutable_pagination()->set_limit(1);
  feast::registry::ListFeatureViewsResponse response;
  grpc::Status s = CallOnce(stub, &RegistryStub::ListFeatureViews, request, &response);
  if (!s.ok()) {
    // Feast reports a missing project as an error; an empty project has no views.
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) return 0;
    return absl::UnavailableError(absl::StrCat("ListFeatureViews: ", s.error_message()));
  }
  if (response.has_pagination() && response.pagination().total_count() > 0) {
    return response.pagination().total_count();
  }
  if (response.feature_views_size() == 0) return 0;
  request.clear_pagination();
  s = CallOnce(stub, &RegistryStub::ListFeatureViews, request, &response);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("ListFeatureViews: ", s.error_message()));
  return response.feature_views_size();
}

int64_t CountObjects(const feast::core::Registry& registry) {
  const google::protobuf::Reflection* reflection = registry.GetReflection();
  const google::protobuf::Descriptor* descriptor = registry.GetDescriptor();
  int64_t objects = 0;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->is_repeated() && field->name() != "project_metadata" &&
        field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      objects += reflection->FieldSize(registry, field);
    }
  }
  return objects;
}

}  // namespace larder::bench
