#include "server/api/raw_registry_service.h"

#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "server/api/handle.h"

namespace larder::api {
namespace {

namespace core = feast::core;
namespace reg = feast::registry;

// A slice over bytes someone else owns: `owner` is kept alive until gRPC has
// sent them, so a snapshot row or the assembled registry goes out without a
// copy.
grpc::Slice SharedSlice(std::shared_ptr<const void> owner, absl::string_view bytes) {
  if (bytes.empty()) return grpc::Slice();
  auto* keep_alive = new std::shared_ptr<const void>(std::move(owner));
  return grpc::Slice(
      const_cast<char*>(bytes.data()), bytes.size(),
      [](void* held) { delete static_cast<std::shared_ptr<const void>*>(held); }, keep_alive);
}

// A List response: `items_field` repeated with each row (plus the project
// field), then the pagination metadata (always present, as the typed path
// writes it). One copy into one buffer: cheaper for gRPC to send than three
// slices per item.
grpc::ByteBuffer SerializeStoredPage(const registry::StoredPage& page, int items_field,
                                     int pagination_field) {
  using google::protobuf::internal::WireFormatLite;
  std::string bytes;
  size_t estimate = 16 + page.pagination.ByteSizeLong();
  for (const registry::RowRef& row : page.rows) {
    estimate += row->proto.size() + page.project_field.size() + 16;
  }
  bytes.reserve(estimate);
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    const uint32_t item_tag =
        WireFormatLite::MakeTag(items_field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
    for (const registry::RowRef& row : page.rows) {
      out.WriteTag(item_tag);
      out.WriteVarint32(static_cast<uint32_t>(row->proto.size() + page.project_field.size()));
      out.WriteRaw(row->proto.data(), static_cast<int>(row->proto.size()));
      out.WriteRaw(page.project_field.data(), static_cast<int>(page.project_field.size()));
    }
    out.WriteTag(
        WireFormatLite::MakeTag(pagination_field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    out.WriteVarint32(static_cast<uint32_t>(page.pagination.ByteSizeLong()));
    page.pagination.SerializeWithCachedSizes(&out);
  }
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  grpc::Slice slice = SharedSlice(owned, *owned);
  return grpc::ByteBuffer(&slice, 1);
}

template <typename Message>
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, size_t max_bytes, Message* request) {
  if (bytes.Length() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        Message::descriptor()->name(), " of ", bytes.Length(),
        " bytes exceeds the server's limit of ", max_bytes, " bytes (--max-message-bytes)"));
  }
  grpc::ByteBuffer view(bytes);  // shares the slices; the reader needs a mutable buffer
  grpc::ProtoBufferReader reader(&view);
  if (!request->ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed request: the ", bytes.Length(),
                                                   " bytes received are not a valid ",
                                                   Message::descriptor()->full_name()));
  }
  return absl::OkStatus();
}

}  // namespace

RawRegistryService::RawRegistryService(RegistryService& typed, registry::Registry& registry,
                                       size_t max_request_bytes, int worker_threads)
    : typed_(typed),
      registry_(registry),
      max_request_bytes_(max_request_bytes),
      workers_(worker_threads) {
#define LARDER_TYPED(Method) AddTyped(#Method, &RegistryService::Method)
  LARDER_TYPED(ApplyEntity);
  LARDER_TYPED(DeleteEntity);
  LARDER_TYPED(ApplyDataSource);
  LARDER_TYPED(DeleteDataSource);
  LARDER_TYPED(ApplyFeatureView);
  LARDER_TYPED(DeleteFeatureView);
  LARDER_TYPED(GetAnyFeatureView);
  LARDER_TYPED(ListAllFeatureViews);
  LARDER_TYPED(ApplyFeatureService);
  LARDER_TYPED(DeleteFeatureService);
  LARDER_TYPED(ApplySavedDataset);
  LARDER_TYPED(DeleteSavedDataset);
  LARDER_TYPED(CreateDatasetFromRetrieval);
  LARDER_TYPED(GetDatasetData);
  LARDER_TYPED(GetDatasetJobStatus);
  LARDER_TYPED(ListDatasetJobs);
  LARDER_TYPED(ApplyValidationReference);
  LARDER_TYPED(DeleteValidationReference);
  LARDER_TYPED(ApplyPermission);
  LARDER_TYPED(DeletePermission);
  LARDER_TYPED(ApplyProject);
  LARDER_TYPED(GetProject);
  LARDER_TYPED(ListProjects);
  LARDER_TYPED(DeleteProject);
  LARDER_TYPED(ApplyMaterialization);
  LARDER_TYPED(ListProjectMetadata);
  LARDER_TYPED(UpdateInfra);
  LARDER_TYPED(GetInfra);
  LARDER_TYPED(Commit);
  LARDER_TYPED(Refresh);
  LARDER_TYPED(GetRegistryLineage);
  LARDER_TYPED(GetObjectRelationships);
  LARDER_TYPED(ListFeatures);
  LARDER_TYPED(GetFeature);
#undef LARDER_TYPED
  AddStoredGet<core::Entity, reg::GetEntityRequest>("GetEntity", &RegistryService::GetEntity);
  AddStoredGet<core::DataSource, reg::GetDataSourceRequest>("GetDataSource",
                                                            &RegistryService::GetDataSource);
  AddStoredGet<core::FeatureView, reg::GetFeatureViewRequest>("GetFeatureView",
                                                              &RegistryService::GetFeatureView);
  AddStoredGet<core::StreamFeatureView, reg::GetStreamFeatureViewRequest>(
      "GetStreamFeatureView", &RegistryService::GetStreamFeatureView);
  AddStoredGet<core::OnDemandFeatureView, reg::GetOnDemandFeatureViewRequest>(
      "GetOnDemandFeatureView", &RegistryService::GetOnDemandFeatureView);
  AddStoredGet<core::LabelView, reg::GetLabelViewRequest>("GetLabelView",
                                                          &RegistryService::GetLabelView);
  AddStoredGet<core::FeatureService, reg::GetFeatureServiceRequest>(
      "GetFeatureService", &RegistryService::GetFeatureService);
  AddStoredGet<core::SavedDataset, reg::GetSavedDatasetRequest>("GetSavedDataset",
                                                                &RegistryService::GetSavedDataset);
  AddStoredGet<core::ValidationReference, reg::GetValidationReferenceRequest>(
      "GetValidationReference", &RegistryService::GetValidationReference);
  AddStoredGet<core::Permission, reg::GetPermissionRequest>("GetPermission",
                                                            &RegistryService::GetPermission);
  AddStoredList<core::Entity>("ListEntities", &RegistryService::ListEntities);
  AddStoredList<core::DataSource>("ListDataSources", &RegistryService::ListDataSources);
  AddStoredList<core::FeatureView>("ListFeatureViews", &RegistryService::ListFeatureViews);
  AddStoredList<core::StreamFeatureView>("ListStreamFeatureViews",
                                         &RegistryService::ListStreamFeatureViews);
  AddStoredList<core::OnDemandFeatureView>("ListOnDemandFeatureViews",
                                           &RegistryService::ListOnDemandFeatureViews);
  AddStoredList<core::LabelView>("ListLabelViews", &RegistryService::ListLabelViews);
  AddStoredList<core::FeatureService>(
      "ListFeatureServices", &RegistryService::ListFeatureServices,
      +[](const reg::ListFeatureServicesRequest& q) { return q.feature_view().empty(); });
  AddStoredList<core::SavedDataset>(
      "ListSavedDatasets", &RegistryService::ListSavedDatasets,
      +[](const reg::ListSavedDatasetsRequest& q) {
        return q.namespace_().empty() && q.collection().empty();
      });
  AddStoredList<core::ValidationReference>("ListValidationReferences",
                                           &RegistryService::ListValidationReferences);
  AddStoredList<core::Permission>("ListPermissions", &RegistryService::ListPermissions);
  AddProto();
}

template <typename Request>
void RawRegistryService::Add(absl::string_view method, Answer<Request> answer,
                             std::function<bool(const Request&)> without_waiting) {
  method_paths_.push_back(absl::StrCat("/", reg::RegistryServer::service_full_name(), "/", method));
  AddMethod(new grpc::internal::RpcServiceMethod(method_paths_.back().c_str(),
                                                 grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
  MarkMethodRawCallback(
      static_cast<int>(method_paths_.size() - 1),
      new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
          [this, answer = std::move(answer), without_waiting = std::move(without_waiting)](
              grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes,
              grpc::ByteBuffer* out) {
            grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
            // The request bytes, response and context stay valid until Finish.
            if (!without_waiting) {
              // Parsed on the worker too: a large Apply request is not parsed on gRPC's thread.
              workers_.Schedule([this, &answer, context, bytes, out, reactor] {
                Request request;
                absl::Status parsed = ParseRequest(*bytes, max_request_bytes_, &request);
                reactor->Finish(parsed.ok() ? answer(context, request, out)
                                            : ToGrpcStatus(parsed));
              });
              return reactor;
            }
            Request request;
            if (absl::Status parsed = ParseRequest(*bytes, max_request_bytes_, &request);
                !parsed.ok()) {
              reactor->Finish(ToGrpcStatus(parsed));
            } else if (without_waiting(request)) {
              reactor->Finish(answer(context, request, out));
            } else {
              workers_.Schedule(
                  [&answer, context, out, reactor, request = std::move(request)] {
                    reactor->Finish(answer(context, request, out));
                  });
            }
            return reactor;
          }));
}

bool RawRegistryService::AnswersFromMemory(bool allow_cache) {
  // After a local write the snapshot must first catch up from the database: not on gRPC's thread.
  return allow_cache && !typed_.checks_access() && registry_.CachedReadsReady();
}

template <typename Request, typename Response>
grpc::Status RawRegistryService::CallTyped(
    grpc::Status (RegistryService::*handler)(grpc::ServerContextBase*, const Request*, Response*),
    grpc::ServerContextBase* context, const Request& request, grpc::ByteBuffer* out) {
  Response response;
  grpc::Status status = (typed_.*handler)(context, &request, &response);
  if (!status.ok()) return status;
  bool own_buffer = false;
  return grpc::SerializationTraits<Response>::Serialize(response, out, &own_buffer);
}

template <typename Request, typename Response>
void RawRegistryService::AddTyped(absl::string_view method,
                                  grpc::Status (RegistryService::*handler)(grpc::ServerContextBase*,
                                                                           const Request*,
                                                                           Response*)) {
  Add<Request>(method, [this, handler](grpc::ServerContextBase* context, const Request& request,
                                       grpc::ByteBuffer* out) {
    return CallTyped(handler, context, request, out);
  });
}

template <typename Message, typename Request>
void RawRegistryService::AddStoredGet(absl::string_view method,
                                      grpc::Status (RegistryService::*typed)(grpc::ServerContextBase*,
                                                                             const Request*,
                                                                             Message*)) {
  Add<Request>(
      method,
      [this, typed](grpc::ServerContextBase* context, const Request& request,
                    grpc::ByteBuffer* out) {
        if (typed_.checks_access()) return CallTyped(typed, context, request, out);
        return Handle(context, [&]() -> absl::Status {
          absl::StatusOr<registry::StoredObject> stored = registry_.GetStored<Message>(
              request.project(), request.name(), request.allow_cache());
          if (!stored.ok()) return stored.status();
          grpc::Slice slices[] = {SharedSlice(stored->row, stored->row->proto),
                                  grpc::Slice(stored->project_field)};
          *out = grpc::ByteBuffer(slices, stored->project_field.empty() ? 1 : 2);
          return absl::OkStatus();
        });
      },
      [this](const Request& request) { return AnswersFromMemory(request.allow_cache()); });
}

template <typename Message, typename Request, typename Response>
void RawRegistryService::AddStoredList(absl::string_view method,
                                       grpc::Status (RegistryService::*typed)(grpc::ServerContextBase*,
                                                                              const Request*,
                                                                              Response*),
                                       bool (*plain)(const Request&)) {
  // The response's fields, found by what they hold rather than by hard-coded numbers.
  const google::protobuf::Descriptor* response = Response::descriptor();
  int items_field = 0;
  for (int i = 0; i < response->field_count(); ++i) {
    if (response->field(i)->is_repeated() &&
        response->field(i)->message_type() == Message::descriptor()) {
      items_field = response->field(i)->number();
    }
  }
  const int pagination_field = response->FindFieldByName("pagination")->number();
  auto from_stored_bytes = [this, plain](const Request& request) {
    return !typed_.checks_access() && request.tags().empty() &&
           request.sorting().sort_by().empty() && (plain == nullptr || plain(request));
  };
  Add<Request>(
      method,
      [=, this](grpc::ServerContextBase* context, const Request& request, grpc::ByteBuffer* out) {
        if (!from_stored_bytes(request)) return CallTyped(typed, context, request, out);
        return Handle(context, [&]() -> absl::Status {
          absl::StatusOr<registry::StoredPage> page = registry_.ListStored<Message>(
              request.project(), request.pagination(), request.allow_cache());
          if (!page.ok()) return page.status();
          *out = SerializeStoredPage(*page, items_field, pagination_field);
          return absl::OkStatus();
        });
      },
      [=, this](const Request& request) {
        return from_stored_bytes(request) && AnswersFromMemory(request.allow_cache());
      });
}

void RawRegistryService::AddProto() {
  // Proto() first catches up with the database, so it always runs on the worker pool.
  Add<google::protobuf::Empty>("Proto", [this](grpc::ServerContextBase* context,
                                               const google::protobuf::Empty& request,
                                               grpc::ByteBuffer* out) {
    if (typed_.checks_access()) return CallTyped(&RegistryService::Proto, context, request, out);
    return Handle(context, [&]() -> absl::Status {
      absl::StatusOr<std::shared_ptr<const registry::Snapshot>> snapshot =
          registry_.ProtoSnapshot();
      if (!snapshot.ok()) return snapshot.status();
      std::shared_ptr<const std::string> registry_bytes = (*snapshot)->RegistryBytes();
      grpc::Slice slice = SharedSlice(registry_bytes, *registry_bytes);
      *out = grpc::ByteBuffer(&slice, 1);
      return absl::OkStatus();
    });
  });
}

std::vector<std::string> RawRegistryService::UnservedMethods() const {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(reg::RegistryServer::service_full_name()));
  std::set<std::string> served(method_paths_.begin(), method_paths_.end());
  std::vector<std::string> unserved;
  for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
    std::string path = absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
    if (served.count(path) == 0) unserved.push_back(std::move(path));
  }
  return unserved;
}

}  // namespace larder::api
