#include "tests/e2e/api_fixture.h"

#include <chrono>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "storage/open_store.h"

namespace larder::testing {

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "?";
  }
}

std::string Describe(const grpc::Status& status) {
  if (status.ok()) return "OK";
  return std::string(CodeName(status.error_code())) + ": " + status.error_message();
}

std::string FeastJson(const std::string& feast_class, const std::string& message) {
  return R"({"module": "feast.errors", "class": ")" + feast_class + R"(", "message": ")" + message +
         R"("})";
}

std::string Bytes(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

Timestamp Ts(int64_t seconds, int32_t nanos) {
  Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

int64_t Micros(const Timestamp& t) { return t.seconds() * 1000000 + t.nanos() / 1000; }

Timestamp NowTs() {
  const int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return Ts(micros / 1000000, static_cast<int32_t>(micros % 1000000) * 1000);
}

std::string Text(const Timestamp& t) { return google::protobuf::util::TimeUtil::ToString(t); }

namespace {
std::vector<std::string> ServeArgs(const std::string& db_url, std::vector<std::string> extra) {
  std::vector<std::string> args = {"serve", "--addr=127.0.0.1:0", "--db=" + db_url};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
}  // namespace

ApiServer::ApiServer(const std::string& db_url, std::vector<std::string> extra_args)
    : db_url_(db_url), process_(ServeArgs(db_url, std::move(extra_args))) {
  const bool started = process_.Start();
  INFO("larder output:\n" << process_.output());
  REQUIRE(started);
  stub_ = feast::registry::RegistryServer::NewStub(
      grpc::CreateChannel(process_.address(), grpc::InsecureChannelCredentials()));
}

grpc::Status ApiServer::Apply(const std::string& project, const core::Entity& entity) {
  reg::ApplyEntityRequest request;
  *request.mutable_entity() = entity;
  request.set_project(project);
  return Status(&Stub::ApplyEntity, request);
}
grpc::Status ApiServer::Apply(const std::string& project, const core::DataSource& source) {
  reg::ApplyDataSourceRequest request;
  *request.mutable_data_source() = source;
  request.set_project(project);
  return Status(&Stub::ApplyDataSource, request);
}
grpc::Status ApiServer::Apply(const std::string& project, const core::FeatureView& view) {
  reg::ApplyFeatureViewRequest request;
  *request.mutable_feature_view() = view;
  request.set_project(project);
  return Status(&Stub::ApplyFeatureView, request);
}
grpc::Status ApiServer::Apply(const std::string& project, const core::StreamFeatureView& view) {
  reg::ApplyFeatureViewRequest request;
  *request.mutable_stream_feature_view() = view;
  request.set_project(project);
  return Status(&Stub::ApplyFeatureView, request);
}
grpc::Status ApiServer::Apply(const std::string& project, const core::OnDemandFeatureView& view) {
  reg::ApplyFeatureViewRequest request;
  *request.mutable_on_demand_feature_view() = view;
  request.set_project(project);
  return Status(&Stub::ApplyFeatureView, request);
}
grpc::Status ApiServer::Apply(const std::string& project, const core::LabelView& view) {
  reg::ApplyFeatureViewRequest request;
  *request.mutable_label_view() = view;
  request.set_project(project);
  return Status(&Stub::ApplyFeatureView, request);
}
grpc::Status ApiServer::Apply(const std::string& project, const core::FeatureService& service) {
  reg::ApplyFeatureServiceRequest request;
  *request.mutable_feature_service() = service;
  request.set_project(project);
  return Status(&Stub::ApplyFeatureService, request);
}
grpc::Status ApiServer::Apply(const std::string& project, const core::SavedDataset& dataset) {
  reg::ApplySavedDatasetRequest request;
  *request.mutable_saved_dataset() = dataset;
  request.set_project(project);
  return Status(&Stub::ApplySavedDataset, request);
}
grpc::Status ApiServer::Apply(const std::string& project,
                              const core::ValidationReference& reference) {
  reg::ApplyValidationReferenceRequest request;
  *request.mutable_validation_reference() = reference;
  request.set_project(project);
  return Status(&Stub::ApplyValidationReference, request);
}
grpc::Status ApiServer::Apply(const std::string& project, const core::Permission& permission) {
  reg::ApplyPermissionRequest request;
  *request.mutable_permission() = permission;
  // The Python client sets spec.project before sending (remote.py:apply_permission).
  request.mutable_permission()->mutable_spec()->set_project(project);
  request.set_project(project);
  return Status(&Stub::ApplyPermission, request);
}
grpc::Status ApiServer::Apply(const core::Project& project) {
  reg::ApplyProjectRequest request;
  *request.mutable_project() = project;
  return Status(&Stub::ApplyProject, request);
}
grpc::Status ApiServer::Materialize(const std::string& project, const std::string& view,
                                    const Timestamp& start, const Timestamp& end) {
  reg::ApplyMaterializationRequest request;
  request.mutable_feature_view()->mutable_spec()->set_name(view);
  request.set_project(project);
  *request.mutable_start_date() = start;
  *request.mutable_end_date() = end;
  request.set_commit(true);
  return Status(&Stub::ApplyMaterialization, request);
}

std::vector<std::string> AnyViewNames(
    const google::protobuf::RepeatedPtrField<reg::AnyFeatureView>& views) {
  return NamesOf(views, [](const reg::AnyFeatureView& any) -> std::string {
    switch (any.any_feature_view_case()) {
      case reg::AnyFeatureView::kFeatureView:
        return any.feature_view().spec().name();
      case reg::AnyFeatureView::kStreamFeatureView:
        return any.stream_feature_view().spec().name();
      case reg::AnyFeatureView::kOnDemandFeatureView:
        return any.on_demand_feature_view().spec().name();
      case reg::AnyFeatureView::kLabelView:
        return "label_view:" + any.label_view().spec().name();
      default:
        return "<unset>";
    }
  });
}

std::string PaginationText(const reg::PaginationMetadata& m) {
  return std::to_string(m.page()) + "," + std::to_string(m.limit()) + "," +
         std::to_string(m.total_count()) + "," + std::to_string(m.total_pages()) + "," +
         (m.has_next() ? "1" : "0") + "," + (m.has_previous() ? "1" : "0");
}

// --- Builders

core::FeatureSpecV2 Field(const std::string& name, ValueType::Enum type) {
  core::FeatureSpecV2 f;
  f.set_name(name);
  f.set_value_type(type);
  return f;
}

core::Entity MakeEntity(const std::string& name, const std::string& join_key,
                        ValueType::Enum type) {
  core::Entity e;
  e.mutable_spec()->set_name(name);
  e.mutable_spec()->set_join_key(join_key);
  e.mutable_spec()->set_value_type(type);
  e.mutable_spec()->set_description(name + " id");
  return e;
}

core::DataSource FileSource(const std::string& name, const std::string& path) {
  core::DataSource s;
  s.set_name(name);
  s.set_type(core::DataSource::BATCH_FILE);
  s.set_timestamp_field("event_timestamp");
  s.set_created_timestamp_column("created");
  s.set_data_source_class_type("feast.infra.offline_stores.file_source.FileSource");
  s.mutable_file_options()->mutable_file_format()->mutable_parquet_format();
  s.mutable_file_options()->set_uri(path);
  return s;
}

core::DataSource RequestSource(const std::string& name, std::vector<core::FeatureSpecV2> schema) {
  core::DataSource s;
  s.set_name(name);
  s.set_type(core::DataSource::REQUEST_SOURCE);
  s.set_data_source_class_type("feast.data_source.RequestSource");
  for (auto& f : schema) *s.mutable_request_data_options()->add_schema() = std::move(f);
  return s;
}

core::DataSource KafkaSource(const std::string& name, const core::DataSource& batch) {
  core::DataSource s;
  s.set_name(name);
  s.set_type(core::DataSource::STREAM_KAFKA);
  s.set_timestamp_field("event_timestamp");
  s.set_data_source_class_type("feast.data_source.KafkaSource");
  s.mutable_kafka_options()->set_kafka_bootstrap_servers("localhost:9092");
  s.mutable_kafka_options()->set_topic(name);
  *s.mutable_batch_source() = batch;
  return s;
}

namespace {
template <typename Spec>
void SetEntitiesAndFeatures(Spec* spec, std::vector<std::string> entities,
                            std::vector<core::FeatureSpecV2> features) {
  for (auto& e : entities) spec->add_entities(std::move(e));
  for (auto& f : features) *spec->add_features() = std::move(f);
}
}  // namespace

core::FeatureView MakeFeatureView(const std::string& name, std::vector<std::string> entities,
                                  std::vector<core::FeatureSpecV2> features,
                                  const core::DataSource& batch_source) {
  core::FeatureView v;
  auto* spec = v.mutable_spec();
  spec->set_name(name);
  SetEntitiesAndFeatures(spec, std::move(entities), std::move(features));
  spec->mutable_ttl()->set_seconds(86400);
  *spec->mutable_batch_source() = batch_source;
  spec->set_online(true);
  spec->set_description(name + " features");
  spec->set_owner("ml@example.com");
  return v;
}

core::StreamFeatureView MakeStreamView(const std::string& name, std::vector<std::string> entities,
                                       std::vector<core::FeatureSpecV2> features,
                                       const core::DataSource& stream_source) {
  core::StreamFeatureView v;
  auto* spec = v.mutable_spec();
  spec->set_name(name);
  SetEntitiesAndFeatures(spec, std::move(entities), std::move(features));
  spec->mutable_ttl()->set_seconds(3600);
  *spec->mutable_stream_source() = stream_source;
  *spec->mutable_batch_source() = stream_source.batch_source();
  spec->set_online(true);
  spec->set_mode("spark");
  spec->set_timestamp_field("event_timestamp");
  return v;
}

core::OnDemandFeatureView MakeOnDemandView(const std::string& name,
                                           std::vector<core::FeatureSpecV2> features,
                                           std::map<std::string, core::OnDemandSource> sources) {
  core::OnDemandFeatureView v;
  auto* spec = v.mutable_spec();
  spec->set_name(name);
  for (auto& f : features) *spec->add_features() = std::move(f);
  for (auto& [key, source] : sources) (*spec->mutable_sources())[key] = source;
  auto* udf = spec->mutable_feature_transformation()->mutable_user_defined_function();
  udf->set_name(name);
  udf->set_body(std::string("\x80\x05\x95 dill bytes", 15));
  udf->set_body_text("def " + name + "(inputs):\n    return inputs\n");
  spec->set_mode("pandas");
  return v;
}

core::OnDemandSource ViewSource(const core::FeatureView& view) {
  core::OnDemandSource source;
  auto* projection = source.mutable_feature_view_projection();
  projection->set_feature_view_name(view.spec().name());
  *projection->mutable_feature_columns() = view.spec().features();
  return source;
}

core::OnDemandSource RequestInput(const core::DataSource& request_source) {
  core::OnDemandSource source;
  *source.mutable_request_data_source() = request_source;
  return source;
}

core::LabelView MakeLabelView(const std::string& name, std::vector<std::string> entities,
                              std::vector<core::FeatureSpecV2> features,
                              const core::DataSource& source) {
  core::LabelView v;
  auto* spec = v.mutable_spec();
  spec->set_name(name);
  SetEntitiesAndFeatures(spec, std::move(entities), std::move(features));
  *spec->mutable_source() = source;
  spec->set_labeler_field("labeler");
  spec->set_conflict_policy(core::LAST_WRITE_WINS);
  return v;
}

core::FeatureViewProjection Projection(const std::string& view_name,
                                       std::vector<core::FeatureSpecV2> features) {
  core::FeatureViewProjection p;
  p.set_feature_view_name(view_name);
  for (auto& f : features) *p.add_feature_columns() = std::move(f);
  return p;
}

core::FeatureService MakeFeatureService(const std::string& name,
                                        std::vector<core::FeatureViewProjection> projections) {
  core::FeatureService s;
  s.mutable_spec()->set_name(name);
  for (auto& p : projections) *s.mutable_spec()->add_features() = std::move(p);
  s.mutable_spec()->set_description(name + " service");
  return s;
}

core::SavedDataset MakeSavedDataset(const std::string& name, const std::string& name_space,
                                    const std::string& collection) {
  core::SavedDataset d;
  auto* spec = d.mutable_spec();
  spec->set_name(name);
  spec->add_features("driver_hourly_stats:conv_rate");
  spec->add_join_keys("driver_id");
  spec->mutable_storage()->mutable_file_storage()->set_uri("data/" + name + ".parquet");
  spec->set_namespace_(name_space);
  spec->set_collection(collection);
  return d;
}

core::ValidationReference MakeValidationReference(const std::string& name,
                                                  const std::string& dataset) {
  core::ValidationReference r;
  r.set_name(name);
  r.set_reference_dataset_name(dataset);
  r.set_description("profile of " + dataset);
  r.mutable_ge_profiler()->mutable_profiler()->set_body("profiler bytes");
  return r;
}

core::Permission MakePermission(const std::string& name) {
  core::Permission p;
  auto* spec = p.mutable_spec();
  spec->set_name(name);
  spec->add_types(core::PermissionSpec::FEATURE_VIEW);
  spec->add_name_patterns(".*");
  spec->add_actions(core::PermissionSpec::DESCRIBE);
  spec->mutable_policy()->mutable_role_based_policy()->add_roles("reader");
  return p;
}

core::Project MakeProject(const std::string& name, const std::string& description) {
  core::Project p;
  p.mutable_spec()->set_name(name);
  p.mutable_spec()->set_description(description);
  return p;
}

void ApplyReaderAndAdminPolicy(ApiServer& api) {
  REQUIRE_OK(api.Apply(MakeProject("demo")));
  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));
  REQUIRE_OK(api.Apply("demo", MakeEntity("secret", "secret_id")));
  core::Permission readers;
  readers.mutable_spec()->set_name("readers");
  readers.mutable_spec()->add_types(core::PermissionSpec::ENTITY);
  readers.mutable_spec()->add_name_patterns("driver.*");
  readers.mutable_spec()->add_actions(core::PermissionSpec::DESCRIBE);
  readers.mutable_spec()->mutable_policy()->mutable_role_based_policy()->add_roles("reader");
  core::Permission admins;
  admins.mutable_spec()->set_name("admins");
  for (auto type : {core::PermissionSpec::ENTITY, core::PermissionSpec::PROJECT,
                    core::PermissionSpec::PERMISSION}) {
    admins.mutable_spec()->add_types(type);
  }
  for (auto action : {core::PermissionSpec::CREATE, core::PermissionSpec::DESCRIBE,
                      core::PermissionSpec::UPDATE, core::PermissionSpec::DELETE}) {
    admins.mutable_spec()->add_actions(action);
  }
  admins.mutable_spec()->mutable_policy()->mutable_role_based_policy()->add_roles("admin");
  REQUIRE_OK(api.Apply("demo", admins));
  REQUIRE_OK(api.Apply("demo", readers));
}

core::Infra SqliteInfra(const std::string& project, std::vector<std::string> views) {
  core::Infra infra;
  for (const std::string& view : views) {
    core::InfraObject* object = infra.add_infra_objects();
    object->set_infra_object_class_type("feast.infra.online_stores.sqlite.SqliteTable");
    object->mutable_sqlite_table()->set_path("data/online_store.db");
    object->mutable_sqlite_table()->set_name(project + "_" + view);
  }
  return infra;
}

DemoRepo MakeDemoRepo(const std::string& project) {
  DemoRepo repo;
  repo.project = project;
  repo.project_object = MakeProject(repo.project);
  repo.driver_source = FileSource("driver_stats_source", "data/driver_stats.parquet");
  repo.customer_source = FileSource("customer_stats_source", "data/customer_stats.parquet");
  repo.driver = MakeEntity("driver", "driver_id");
  repo.customer = MakeEntity("customer", "customer_id", ValueType::STRING);
  repo.dummy.mutable_spec()->set_name("__dummy");
  repo.dummy.mutable_spec()->set_join_key("__dummy_id");
  repo.driver_stats =
      MakeFeatureView("driver_hourly_stats", {"driver"},
                      {Field("conv_rate", ValueType::FLOAT), Field("acc_rate", ValueType::FLOAT),
                       Field("avg_daily_trips", ValueType::INT64)},
                      repo.driver_source);
  *repo.driver_stats.mutable_spec()->add_entity_columns() = Field("driver_id", ValueType::INT64);
  repo.customer_profile = MakeFeatureView(
      "customer_profile", {"customer"},
      {Field("current_balance", ValueType::FLOAT), Field("avg_passenger_count", ValueType::FLOAT),
       Field("lifetime_trip_count", ValueType::INT64)},
      repo.customer_source);
  *repo.customer_profile.mutable_spec()->add_entity_columns() =
      Field("customer_id", ValueType::STRING);
  repo.conv_adjusted = MakeOnDemandView("driver_conv_adjusted",
                                        {Field("conv_rate_plus_val1", ValueType::DOUBLE),
                                         Field("conv_rate_plus_val2", ValueType::DOUBLE)},
                                        {{"driver_hourly_stats", ViewSource(repo.driver_stats)}});
  repo.activity = MakeFeatureService(
      "driver_activity",
      {Projection("driver_hourly_stats", {repo.driver_stats.spec().features().begin(),
                                          repo.driver_stats.spec().features().end()}),
       Projection("customer_profile", {repo.customer_profile.spec().features().begin(),
                                       repo.customer_profile.spec().features().end()}),
       Projection("driver_conv_adjusted", {repo.conv_adjusted.spec().features().begin(),
                                           repo.conv_adjusted.spec().features().end()})});
  repo.infra = SqliteInfra(repo.project, {"driver_hourly_stats", "customer_profile"});
  return repo;
}

void ApplyDemoRepo(ApiServer& api, const DemoRepo& repo) {
  const std::string& p = repo.project;
  REQUIRE_OK(api.Apply(repo.project_object));
  REQUIRE_OK(api.Apply(p, repo.driver_source));
  REQUIRE_OK(api.Apply(p, repo.customer_source));
  REQUIRE_OK(api.Apply(p, repo.driver));
  REQUIRE_OK(api.Apply(p, repo.customer));
  REQUIRE_OK(api.Apply(p, repo.dummy));
  REQUIRE_OK(api.Apply(p, repo.driver_stats));
  REQUIRE_OK(api.Apply(p, repo.customer_profile));
  REQUIRE_OK(api.Apply(p, repo.conv_adjusted));
  REQUIRE_OK(api.Apply(p, repo.activity));
  reg::UpdateInfraRequest infra;
  *infra.mutable_infra() = repo.infra;
  infra.set_project(p);
  infra.set_commit(true);
  api.Ok(&Stub::UpdateInfra, infra);
}

std::vector<std::string> RelationsText(
    const google::protobuf::RepeatedPtrField<reg::EntityRelation>& relations) {
  return NamesOf(relations, [](const reg::EntityRelation& r) {
    return r.source().type() + ":" + r.source().name() + ">" + r.target().type() + ":" +
           r.target().name();
  });
}

// --- Peeks

namespace {
std::unique_ptr<storage::SqlStore> OpenPeekStore(const std::string& db_url) {
  auto url = storage::ParseDatabaseUrl(db_url);
  REQUIRE(url.ok());
  storage::StoreOptions options;
  options.max_connections = 1;
  auto store = storage::OpenStore(*url, options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}
}  // namespace

namespace {
// The value of `read(tx)` (a StatusOr) in one read-only transaction on a fresh connection;
// the test fails if the read does.
template <typename Read>
auto Peek(const std::string& db_url, Read read) {
  auto store = OpenPeekStore(db_url);
  std::optional<typename decltype(read(std::declval<storage::Transaction&>()))::value_type> value;
  absl::Status status = store->Run(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
    auto got = read(tx);
    if (!got.ok()) return got.status();
    value = *std::move(got);
    return absl::OkStatus();
  });
  INFO(status.ToString());
  REQUIRE(status.ok());
  return *std::move(value);
}
}  // namespace

std::optional<storage::ObjectRow> PeekRow(const std::string& db_url, storage::ObjectKind kind,
                                          const std::string& project, const std::string& name) {
  return Peek(db_url, [&](storage::Transaction& tx) { return tx.GetObject(kind, project, name); });
}

std::map<std::string, std::string> PeekMetadata(const std::string& db_url,
                                                const std::string& project) {
  auto rows = Peek(db_url, [&](storage::Transaction& tx) { return tx.ListMetadata(project); });
  return std::map<std::string, std::string>(rows.begin(), rows.end());
}

std::vector<storage::ChangeRecord> PeekChanges(const std::string& db_url) {
  return Peek(db_url, [](storage::Transaction& tx) { return tx.ListChanges(0, 100000); });
}

std::vector<storage::VersionRecord> PeekVersions(const std::string& db_url,
                                                 const std::string& project,
                                                 const std::string& view) {
  return Peek(db_url, [&](storage::Transaction& tx) { return tx.ListVersions(project, view); });
}

}  // namespace larder::testing
