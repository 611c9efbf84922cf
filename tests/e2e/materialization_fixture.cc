#include "tests/e2e/materialization_fixture.h"

#include <fstream>

namespace larder::testing {

Timestamp AtMicros(int64_t micros) {
  Timestamp t;
  t.set_seconds(micros / kSecond);
  t.set_nanos(static_cast<int32_t>((micros % kSecond) * 1000));
  return t;
}

void MatServer::SetTime(int64_t micros) {
  now = micros;
  std::ofstream(clock) << micros << "\n";
}

std::vector<std::string> MatServer::WithClock(std::vector<std::string> extra) {
  SetTime(kT0);
  extra.push_back("--clock-file=" + clock);
  return extra;
}

std::unique_ptr<client::RegistryClient> MatServer::MakeClient(const std::string& token) {
  client::ClientOptions options;
  options.addresses = {api.process().address()};
  options.max_attempts = 2;
  if (!token.empty()) options.token_provider = [token] { return token; };
  auto made = client::RegistryClient::Create(options);
  REQUIRE(made.ok());
  return *std::move(made);
}

core::FeatureView View(const std::string& name, int64_t ttl_seconds, bool online) {
  core::FeatureView view = MakeFeatureView(name, {"driver"}, {Field("rate", ValueType::DOUBLE)},
                                           FileSource("src", "data/driver.parquet"));
  view.mutable_spec()->mutable_ttl()->set_seconds(ttl_seconds);
  view.mutable_spec()->set_online(online);
  view.mutable_spec()->set_offline(!online);  // served offline only when not online
  return view;
}

void ApplyDemo(ApiServer& api) {
  REQUIRE_OK(api.Apply("p", MakeEntity("driver", "driver_id")));
  REQUIRE_OK(api.Apply("p", FileSource("src", "data/driver.parquet")));
}

std::vector<std::pair<int64_t, int64_t>> IntervalsOf(client::RegistryClient& c,
                                                     const std::string& view) {
  absl::StatusOr<core::FeatureView> fv = c.GetFeatureView("p", view);
  REQUIRE(fv.ok());
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& i : fv->meta().materialization_intervals()) {
    out.emplace_back(Micros(i.start_time()), Micros(i.end_time()));
  }
  return out;
}

v1::PlanMaterializationRequest Range(int64_t start, int64_t end, std::vector<std::string> views,
                                     int64_t span_seconds) {
  v1::PlanMaterializationRequest q;
  q.set_project("p");
  for (auto& v : views) q.add_feature_views(v);
  *q.mutable_start_time() = AtMicros(start);
  *q.mutable_end_time() = AtMicros(end);
  q.mutable_task_span()->set_seconds(span_seconds);
  return q;
}

v1::MaterializationJob Plan(client::RegistryClient& c, const v1::PlanMaterializationRequest& q) {
  absl::StatusOr<v1::PlanMaterializationResponse> planned = c.PlanMaterialization(q);
  INFO(planned.status().ToString());
  REQUIRE(planned.ok());
  return planned->job();
}

v1::MaterializationTask LeaseOne(client::RegistryClient& c, const std::string& worker,
                                 int64_t ttl_seconds) {
  absl::StatusOr<v1::LeaseTasksResponse> leased =
      c.LeaseTasks(worker, 1, absl::Seconds(ttl_seconds));
  INFO(leased.status().ToString());
  REQUIRE(leased.ok());
  REQUIRE(leased->tasks_size() == 1);
  return leased->tasks(0);
}

}  // namespace larder::testing
