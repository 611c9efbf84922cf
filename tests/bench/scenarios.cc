#include "tests/bench/scenarios.h"

#include <future>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/empty.pb.h"
#include "grpcpp/support/byte_buffer.h"

namespace larder::bench {
namespace {

namespace reg = feast::registry;
namespace core = feast::core;
using google::protobuf::Empty;

constexpr int64_t kFirstIntervalSeconds = 1704067200;  // 2024-01-01T00:00:00Z

std::string Indexed(absl::string_view prefix, int64_t i) { return absl::StrCat(prefix, i); }

// One generic (unparsed) call, waited for; for measuring a response outside the loop.
grpc::Status GenericCallOnce(grpc::GenericStub& stub, const std::string& method,
                             grpc::ByteBuffer* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

}  // namespace

Scenarios::Scenarios(std::shared_ptr<grpc::Channel> channel, RegistryLayout layout)
    : channel_(std::move(channel)),
      stub_(reg::RegistryServer::NewStub(channel_)),
      generic_(channel_),
      layout_(std::move(layout)) {}

absl::Status Scenarios::Seed(const std::function<void(const std::string&)>& log) {
  const std::string& p = layout_.project;
  auto named = [](std::string prefix) {
    return [prefix](int64_t i) { return Indexed(prefix, i); };
  };
  log(absl::StrCat("seeding ", p, ": ", layout_.small_views, " entities and feature views"));
  if (absl::Status s = ApplyEntities(*stub_, p, layout_.small_views, named("entity_")); !s.ok()) {
    return s;
  }
  if (absl::Status s = ApplyViews(*stub_, p, 0, layout_.small_views, 8, named("fv_")); !s.ok()) {
    return s;
  }
  log(absl::StrCat("seeding ", p, "_1k: ", layout_.list_views, " feature views"));
  if (absl::Status s = ApplyViews(*stub_, p + "_1k", 0, layout_.list_views, 32, named("fv_"));
      !s.ok()) {
    return s;
  }
  // The objects the Apply* scenarios update, created now so no measured call is a creation.
  if (absl::Status s =
          ApplyEntities(*stub_, WriteProject(), layout_.max_in_flight, named("w_entity_"));
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ApplyViews(*stub_, WriteProject(), 0, layout_.max_in_flight, 8, named("w_fv_"));
      !s.ok()) {
    return s;
  }
  for (int slot = 0; slot < layout_.max_in_flight; ++slot) {
    if (absl::Status s =
            ApplyViews(*stub_, absl::StrCat(WriteProject(), slot), slot, 1, 1, named("w_fv_"));
        !s.ok()) {
      return s;
    }
  }
  core::Registry registry;
  grpc::Status proto = CallOnce(*stub_, &RegistryStub::Proto, Empty(), &registry);
  if (!proto.ok()) return absl::UnavailableError(absl::StrCat("Proto: ", proto.error_message()));
  registry_objects_ = CountObjects(registry);
  if (registry_objects_ < layout_.proto_objects) {
    const std::string fill = p + "_fill";
    absl::StatusOr<int64_t> existing = CountFeatureViews(*stub_, fill);
    if (!existing.ok()) return existing.status();
    const int64_t need = layout_.proto_objects - registry_objects_;
    log(absl::StrCat("seeding ", fill, ": ", need, " feature views (registry has ",
                     registry_objects_, " objects)"));
    if (absl::Status s = ApplyViews(
            *stub_, fill, *existing, need, 32, named("fill_"),
            [&](int64_t done) { log(absl::StrCat("  ", done, " of ", need)); }, 2000);
        !s.ok()) {
      return s;
    }
    registry_objects_ += need;
  }
  return absl::OkStatus();
}

std::vector<Scenario> Scenarios::All() {
  auto read = [](std::string key, std::string label, bool cache_variants, auto run) {
    Scenario s;
    s.key = std::move(key);
    s.label = std::move(label);
    s.cache_variants = cache_variants;
    s.ceiling = CeilingKind::kRead;
    s.run = std::move(run);
    return s;
  };
  const std::string& p = layout_.project;
  std::vector<Scenario> all;
  all.push_back(
      read("GetEntity", "GetEntity", true,
           [this](const LoopOptions& o, bool cache, std::string*) { return Get(o, cache, true); }));
  all.push_back(read(
      "GetFeatureView", "GetFeatureView", true,
      [this](const LoopOptions& o, bool cache, std::string*) { return Get(o, cache, false); }));
  all.push_back(read("ListFeatureViews",
                     absl::StrCat("ListFeatureViews(", layout_.small_views, ")"), true,
                     [this, p](const LoopOptions& o, bool cache, std::string*) {
                       return List(o, cache, p, false);
                     }));
  all.push_back(read("ListFeatureViews", absl::StrCat("ListFeatureViews(", layout_.list_views, ")"),
                     true, [this, p](const LoopOptions& o, bool cache, std::string*) {
                       return List(o, cache, p + "_1k", false);
                     }));
  all.push_back(read("ListAllFeatureViews",
                     absl::StrCat("ListAllFeatureViews(", layout_.small_views, ")"), true,
                     [this, p](const LoopOptions& o, bool cache, std::string*) {
                       return List(o, cache, p, true);
                     }));
  all.push_back(
      read("Proto", absl::StrCat("Proto(", registry_objects_, ")"), false,
           [this](const LoopOptions& o, bool, std::string* note) { return Proto(o, note); }));
  auto write = [](std::string key, bool contended, auto run) {
    Scenario s;
    s.key = key;
    s.label = std::move(key);
    s.ceiling = CeilingKind::kWrite;
    s.contended = contended;
    s.run = std::move(run);
    return s;
  };
  all.push_back(write("ApplyEntity", false,
                      [this](const LoopOptions& o, bool, std::string*) { return ApplyEntity(o); }));
  all.push_back(write("ApplyFeatureView", false, [this](const LoopOptions& o, bool, std::string*) {
    return ApplyFeatureView(o, false);
  }));
  Scenario spread =
      write("ApplyFeatureViewSpread", false, [this](const LoopOptions& o, bool, std::string* note) {
        *note = "diagnostic: each writer in its own project";
        return ApplyFeatureView(o, true);
      });
  spread.label = "ApplyFeatureView(own project)";
  all.push_back(std::move(spread));
  all.push_back(
      write("ApplyMaterialization", true, [this](const LoopOptions& o, bool, std::string* note) {
        return ApplyMaterialization(o, note);
      }));
  return all;
}

// Reads are received as bytes, not parsed, like Proto below and like the echo ceiling's client
// (which parses 16 bytes): on two shared CPUs the client's parse of a 2 KB view would otherwise
// be charged to the server. After the cell one call's response is parsed and checked, so a wrong
// answer still fails the cell.
template <typename Request, typename Response>
CellResult Scenarios::RawRead(const LoopOptions& options, const std::string& method,
                              TypedMethod<Request, Response> typed,
                              std::function<void(int64_t seq, Request&)> fill,
                              std::function<bool(const Response&)> check) {
  const std::string path = "/feast.registry.RegistryServer/" + method;
  grpc::GenericStub* generic = &generic_;
  CellResult result = RunClosedLoop<grpc::ByteBuffer, grpc::ByteBuffer>(
      options,
      [fill](int, int64_t seq, grpc::ByteBuffer& q) {
        Request request;
        fill(seq, request);
        bool own_buffer = false;
        grpc::SerializationTraits<Request>::Serialize(request, &q, &own_buffer).IgnoreError();
      },
      [generic, path](grpc::ClientContext* c, const grpc::ByteBuffer* q, grpc::ByteBuffer* r,
                      std::function<void(grpc::Status)> done) {
        generic->UnaryCall(c, path, grpc::StubOptions(), q, r, std::move(done));
      });
  Request request;
  fill(0, request);
  Response response;
  const grpc::Status status = CallOnce(*stub_, typed, request, &response);
  if (!status.ok() || !check(response)) {
    ++result.errors;
    if (result.first_error.empty()) {
      result.first_error = absl::StrCat(method, " answered wrongly: ", status.error_message(), " ",
                                        response.ShortDebugString().substr(0, 200));
    }
  }
  return result;
}

CellResult Scenarios::Get(const LoopOptions& options, bool cache, bool entity) {
  const std::string project = layout_.project;
  const int n = layout_.small_views;
  if (entity) {
    return RawRead<reg::GetEntityRequest, core::Entity>(
        options, "GetEntity", &RegistryStub::GetEntity,
        [=](int64_t seq, reg::GetEntityRequest& q) {
          q.set_project(project);
          q.set_allow_cache(cache);
          q.set_name(Indexed("entity_", seq % n));
        },
        [](const core::Entity& e) { return e.spec().name() == "entity_0"; });
  }
  return RawRead<reg::GetFeatureViewRequest, core::FeatureView>(
      options, "GetFeatureView", &RegistryStub::GetFeatureView,
      [=](int64_t seq, reg::GetFeatureViewRequest& q) {
        q.set_project(project);
        q.set_allow_cache(cache);
        q.set_name(Indexed("fv_", seq % n));
      },
      [](const core::FeatureView& v) { return v.spec().name() == "fv_0"; });
}

CellResult Scenarios::List(const LoopOptions& options, bool cache, const std::string& project,
                           bool all) {
  const int64_t expected = project == layout_.project ? layout_.small_views : layout_.list_views;
  if (all) {
    return RawRead<reg::ListAllFeatureViewsRequest, reg::ListAllFeatureViewsResponse>(
        options, "ListAllFeatureViews", &RegistryStub::ListAllFeatureViews,
        [=](int64_t, reg::ListAllFeatureViewsRequest& q) {
          q.set_project(project);
          q.set_allow_cache(cache);
        },
        [=](const reg::ListAllFeatureViewsResponse& r) {
          return r.feature_views_size() == expected;
        });
  }
  return RawRead<reg::ListFeatureViewsRequest, reg::ListFeatureViewsResponse>(
      options, "ListFeatureViews", &RegistryStub::ListFeatureViews,
      [=](int64_t, reg::ListFeatureViewsRequest& q) {
        q.set_project(project);
        q.set_allow_cache(cache);
      },
      [=](const reg::ListFeatureViewsResponse& r) { return r.feature_views_size() == expected; });
}

CellResult Scenarios::Proto(const LoopOptions& options, std::string* note) {
  // Received as bytes, not parsed: the figure is the server's and the transport's, not the
  // client's protobuf parser's (measured once below and reported in the note).
  static const std::string kMethod = "/feast.registry.RegistryServer/Proto";
  grpc::GenericStub* generic = &generic_;
  CellResult result = RunClosedLoop<grpc::ByteBuffer, grpc::ByteBuffer>(
      options,
      [](int, int64_t, grpc::ByteBuffer& q) {
        if (!q.Valid()) {
          grpc::Slice empty("");
          q = grpc::ByteBuffer(&empty, 1);
        }
      },
      [generic](grpc::ClientContext* c, const grpc::ByteBuffer* q, grpc::ByteBuffer* r,
                std::function<void(grpc::Status)> done) {
        generic->UnaryCall(c, kMethod, grpc::StubOptions(), q, r, std::move(done));
      });
  grpc::ByteBuffer response;
  if (GenericCallOnce(generic_, kMethod, &response).ok()) {
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    const auto start = Clock::now();
    core::Registry parsed;
    const bool ok = parsed.ParseFromString(bytes);
    const double parse_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    *note = absl::StrFormat("%.1f MB; client parse %.0f ms%s", bytes.size() / 1e6, parse_ms,
                            ok ? "" : " (FAILED)");
  }
  return result;
}

CellResult Scenarios::ApplyEntity(const LoopOptions& options) {
  RegistryStub* stub = stub_.get();
  const std::string project = WriteProject();
  const std::string stamp = absl::StrCat("run ", layout_.nonce, " cell ", ++cell_, " call ");
  return RunClosedLoop<reg::ApplyEntityRequest, Empty>(
      options,
      [&](int slot, int64_t seq, reg::ApplyEntityRequest& q) {
        if (!q.has_entity()) {
          *q.mutable_entity() = MakeEntity(Indexed("w_entity_", slot));
          q.set_project(project);
          q.set_commit(true);
        }
        // Changing content: every call is an effective write.
        q.mutable_entity()->mutable_spec()->set_description(
            absl::StrCat(stamp, seq, " ", std::string(180, 'e')));
      },
      [stub](grpc::ClientContext* c, const reg::ApplyEntityRequest* q, Empty* r,
             std::function<void(grpc::Status)> done) {
        stub->async()->ApplyEntity(c, q, r, std::move(done));
      });
}

CellResult Scenarios::ApplyFeatureView(const LoopOptions& options, bool spread) {
  RegistryStub* stub = stub_.get();
  const std::string project = WriteProject();
  const std::string stamp = absl::StrCat("run ", layout_.nonce, " cell ", ++cell_, " call ");
  return RunClosedLoop<reg::ApplyFeatureViewRequest, Empty>(
      options,
      [&](int slot, int64_t seq, reg::ApplyFeatureViewRequest& q) {
        if (!q.has_feature_view()) {
          *q.mutable_feature_view() = MakeFeatureView(Indexed("w_fv_", slot));
          q.set_project(spread ? absl::StrCat(project, slot) : project);
          q.set_commit(true);
        }
        // A changed description (not a schema change): an effective write of the same size.
        std::string* description = q.mutable_feature_view()->mutable_spec()->mutable_description();
        const std::string prefix = absl::StrCat(stamp, seq, " ");
        description->replace(0, std::min(prefix.size(), description->size()), prefix);
      },
      [stub](grpc::ClientContext* c, const reg::ApplyFeatureViewRequest* q, Empty* r,
             std::function<void(grpc::Status)> done) {
        stub->async()->ApplyFeatureView(c, q, r, std::move(done));
      });
}

CellResult Scenarios::ApplyMaterialization(const LoopOptions& options, std::string* note) {
  RegistryStub* stub = stub_.get();
  const std::string project = WriteProject();
  const std::string view_name = absl::StrCat("mat_", layout_.nonce, "_", ++cell_);
  // A fresh view per cell: every writer of the cell appends to this one view's intervals.
  reg::ApplyFeatureViewRequest create;
  *create.mutable_feature_view() = MakeFeatureView(view_name);
  create.set_project(project);
  create.set_commit(true);  // commit=false would be held until the session's commit
  Empty empty;
  if (grpc::Status s = CallOnce(*stub, &RegistryStub::ApplyFeatureView, create, &empty); !s.ok()) {
    CellResult failed;
    failed.errors = 1;
    failed.first_error = s.error_message();
    return failed;
  }
  const core::FeatureView view = create.feature_view();
  CellResult result = RunClosedLoop<reg::ApplyMaterializationRequest, Empty>(
      options,
      [&](int, int64_t seq, reg::ApplyMaterializationRequest& q) {
        if (!q.has_feature_view()) {
          *q.mutable_feature_view() = view;  // Feast sends the whole view
          q.set_project(project);
          q.set_commit(true);
        }
        q.mutable_start_date()->set_seconds(kFirstIntervalSeconds + seq * 3600);
        q.mutable_end_date()->set_seconds(kFirstIntervalSeconds + (seq + 1) * 3600);
      },
      [stub](grpc::ClientContext* c, const reg::ApplyMaterializationRequest* q, Empty* r,
             std::function<void(grpc::Status)> done) {
        stub->async()->ApplyMaterialization(c, q, r, std::move(done));
      });
  // Nothing lost: every acknowledged call's interval is in the stored view.
  reg::GetFeatureViewRequest get;
  get.set_project(project);
  get.set_name(view_name);
  core::FeatureView stored;
  if (grpc::Status s = CallOnce(*stub, &RegistryStub::GetFeatureView, get, &stored); !s.ok()) {
    *note = absl::StrCat("cannot read the view back: ", s.error_message());
    return result;
  }
  const int64_t intervals = stored.meta().materialization_intervals_size();
  *note = intervals == result.ok_calls ? absl::StrCat(intervals, " intervals, none lost")
                                       : absl::StrCat("LOST ", result.ok_calls - intervals, " of ",
                                                      result.ok_calls, " acknowledged intervals");
  absl::StrAppend(note, "; view ", stored.ByteSizeLong() / 1000, " KB at the end");
  return result;
}

}  // namespace larder::bench
