// Pinned feature-view versions (spec.version = "vN", Feast §5.4) through the real binary on every
// backend: restoring a version from the history, refusing a pin that also changes the definition,
// forward declarations, the accepted spellings, and that nothing is written for a bad one. (Latest
// applies' numbering is in api_objects_test.cc.)
#include <functional>

#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

using grpc::StatusCode;
using Numbers = std::vector<int32_t>;

Numbers History(const ApiServer& api, const std::string& view) {
  Numbers numbers;
  for (const auto& r : PeekVersions(api.db_url(), "p", view)) numbers.push_back(r.version_number);
  return numbers;
}

template <typename View>
View Pinned(View view, const std::string& version) {
  view.mutable_spec()->set_version(version);
  return view;
}

template <typename View>
View WithFeature(View view, const std::string& feature) {
  *view.mutable_spec()->add_features() = Field(feature, ValueType::INT64);
  return view;
}

// The spec a view of the project "p" is stored with.
template <typename View>
std::string StoredSpec(View view, const std::string& version) {
  view.mutable_spec()->set_project("p");
  view.mutable_spec()->set_version(version);
  return Bytes(view.spec());
}

// Apply v0, change the schema (v1), pin back to v0, refuse a pin that changes the definition, pin
// to "V1", forward-declare "version5", then a latest schema change numbers after it.
// `get(allow_cache)` reads the view of `view`'s kind.
template <typename View>
void PinScenario(ApiServer& api, storage::ObjectKind kind, const View& v0,
                 const std::function<View(bool)>& get) {
  const std::string name = v0.spec().name();
  REQUIRE_OK(api.Apply("p", v0));
  const auto created = get(false).meta().created_timestamp();
  const View v1 = WithFeature(v0, "trips");
  REQUIRE_OK(api.Apply("p", v1));
  REQUIRE(get(false).meta().current_version_number() == 1);
  REQUIRE(History(api, name) == Numbers{0, 1});
  auto changes = [&] { return PeekChanges(api.db_url()).size(); };
  // The active row, the change log's object-after and both reads all hold the same bytes.
  auto check_consistent = [&] {
    const std::optional<storage::ObjectRow> row = PeekRow(api.db_url(), kind, "p", name);
    REQUIRE(row.has_value());
    CHECK(row->proto == PeekChanges(api.db_url()).back().proto);
    CHECK(Bytes(get(true)) == Bytes(get(false)));
  };

  // Pinning to v0 with the active definition restores v0's schema; no version is added.
  REQUIRE_OK(api.Apply("p", Pinned(v1, "v0")));
  View got = get(false);
  CHECK(Bytes(got.spec()) == StoredSpec(v0, "v0"));
  CHECK(got.meta().current_version_number() == 0);
  CHECK(Micros(got.meta().created_timestamp()) == Micros(created));
  CHECK(History(api, name) == Numbers{0, 1});
  check_consistent();
  // The same pin again (now the active definition is v0's) changes nothing.
  const size_t before = changes();
  REQUIRE_OK(api.Apply("p", Pinned(v0, "v0")));
  CHECK(changes() == before);

  // A pin that also changes the definition is refused, and nothing is written.
  View edited = Pinned(v0, "v1");
  edited.mutable_spec()->set_description("edited while pinning");
  CHECK_FEAST_ERROR(api.Apply("p", edited), StatusCode::INTERNAL, "FeatureViewPinConflict",
                    "Cannot pin feature view '" + name +
                        "' to version 'v1' while also changing its definition: the "
                        "definition "
                        "sent differs from the active one. Either apply the changed "
                        "definition "
                        "without a pin (version 'latest'), or pin with the active definition "
                        "unchanged.");
  CHECK(changes() == before);
  CHECK(get(false).meta().current_version_number() == 0);

  // Any case: "V1" restores v1.
  REQUIRE_OK(api.Apply("p", Pinned(v0, "V1")));
  got = get(false);
  CHECK(Bytes(got.spec()) == StoredSpec(v1, "V1"));
  CHECK(got.meta().current_version_number() == 1);
  check_consistent();

  // A forward declaration saves the definition sent as version 5 and makes it active.
  View declared = Pinned(WithFeature(v1, "rating"), "version5");
  REQUIRE_OK(api.Apply("p", declared));
  got = get(false);
  CHECK(Bytes(got.spec()) == StoredSpec(declared, "version5"));
  CHECK(got.meta().current_version_number() == 5);
  const auto records = PeekVersions(api.db_url(), "p", name);
  REQUIRE(records.size() == 3);
  CHECK(records[2].version_number == 5);
  CHECK(records[2].proto == PeekRow(api.db_url(), kind, "p", name)->proto);
  check_consistent();

  // A latest schema change numbers after the highest version.
  REQUIRE_OK(api.Apply("p", Pinned(WithFeature(declared, "extra"), "latest")));
  CHECK(get(false).meta().current_version_number() == 6);
  CHECK(History(api, name) == Numbers{0, 1, 5, 6});
  check_consistent();
}

// The entity and batch source the test views use, applied to "p"; returns the source.
core::DataSource ApplyDriverAndSource(ApiServer& api) {
  const core::DataSource stats = FileSource("driver_stats_source", "data/driver_stats.parquet");
  REQUIRE_OK(api.Apply("p", MakeEntity("driver", "driver_id")));
  REQUIRE_OK(api.Apply("p", stats));
  return stats;
}

template <typename Request, typename View>
std::function<View(bool)> Getter(ApiServer& api, ApiServer::Method<Request, View> method,
                                 const std::string& name) {
  return [&api, method, name](bool allow_cache) {
    auto request = Named<Request>("p", name);
    request.set_allow_cache(allow_cache);
    return api.Ok(method, request);
  };
}

void PinnedFeatureViews(ScratchDatabase& db) {
  ApiServer api(db);
  const core::DataSource stats = ApplyDriverAndSource(api);
  PinScenario<core::FeatureView>(
      api, storage::ObjectKind::kFeatureView,
      MakeFeatureView("hourly", {"driver"}, {Field("conv_rate", ValueType::FLOAT)}, stats),
      Getter(api, &Stub::GetFeatureView, "hourly"));
}
LARDER_BACKEND_TEST(
    "versions: pinned feature views restore, refuse changes "
    "and declare versions",
    PinnedFeatureViews)

void PinnedStreamAndOnDemandViews(ScratchDatabase& db) {
  ApiServer api(db);
  const core::DataSource stream = KafkaSource("driver_stream", ApplyDriverAndSource(api));
  const core::DataSource request = RequestSource("val", {Field("val", ValueType::INT64)});
  for (const auto* s : {&stream, &request}) REQUIRE_OK(api.Apply("p", *s));
  PinScenario<core::StreamFeatureView>(
      api, storage::ObjectKind::kStreamFeatureView,
      MakeStreamView("clicks", {"driver"}, {Field("clicks", ValueType::INT64)}, stream),
      Getter(api, &Stub::GetStreamFeatureView, "clicks"));
  PinScenario<core::OnDemandFeatureView>(
      api, storage::ObjectKind::kOnDemandFeatureView,
      MakeOnDemandView("plus", {Field("plus_val", ValueType::DOUBLE)},
                       {{"val", RequestInput(request)}}),
      Getter(api, &Stub::GetOnDemandFeatureView, "plus"));
}
LARDER_BACKEND_TEST("versions: stream and on-demand views pin like feature views",
                    PinnedStreamAndOnDemandViews)

void PinnedEdgeCases(ScratchDatabase& db) {
  ApiServer api(db);
  const core::DataSource stats = ApplyDriverAndSource(api);
  const core::FeatureView v0 =
      MakeFeatureView("hourly", {"driver"}, {Field("conv_rate", ValueType::FLOAT)}, stats);
  auto get = Getter(api, &Stub::GetFeatureView, "hourly");

  // A new view may start with a pinned number: it is created as that version.
  REQUIRE_OK(api.Apply("p", Pinned(v0, "version2")));
  CHECK(get(false).meta().current_version_number() == 2);
  CHECK(get(false).spec().version() == "version2");
  CHECK(History(api, "hourly") == Numbers{2});

  // Restoring keeps what materialization recorded on the active view.
  REQUIRE_OK(api.Apply("p", WithFeature(v0, "trips")));  // latest: version 3
  REQUIRE_OK(api.Materialize("p", "hourly", Ts(100), Ts(200)));
  REQUIRE_OK(api.Apply("p", Pinned(WithFeature(v0, "trips"), "v2")));
  core::FeatureView got = get(false);
  CHECK(got.meta().current_version_number() == 2);
  CHECK(got.spec().features_size() == 1);
  REQUIRE(got.meta().materialization_intervals_size() == 1);
  CHECK(got.meta().materialization_intervals(0).end_time().seconds() == 200);
  CHECK(got.meta().state() == core::AVAILABLE_ONLINE);

  // Anything but "", "latest", "vN" and "versionN" is refused before anything is written.
  const size_t changes = PeekChanges(api.db_url()).size();
  for (const std::string bad :
       {"bogus", "v", "v-1", "v1.0", " v1", "version", "vv1", "1", "v99999999999"}) {
    INFO(bad);
    CHECK_PLAIN_ERROR(api.Apply("p", Pinned(WithFeature(v0, "other"), bad)),
                      StatusCode::INVALID_ARGUMENT,
                      "feature view version '" + bad +
                          "' is not 'latest', 'vN' or 'versionN' (N a non-negative 32-bit "
                          "integer)");
  }
  CHECK(PeekChanges(api.db_url()).size() == changes);
  CHECK(History(api, "hourly") == Numbers{2, 3});
  CHECK(get(false).meta().current_version_number() == 2);
  // "LATEST" is latest in any case.
  REQUIRE_OK(api.Apply("p", Pinned(WithFeature(v0, "other"), "LATEST")));
  CHECK(get(false).meta().current_version_number() == 4);
}
LARDER_BACKEND_TEST("versions: pinned new views, kept intervals, and refused version strings",
                    PinnedEdgeCases)

}  // namespace
}  // namespace larder::testing
