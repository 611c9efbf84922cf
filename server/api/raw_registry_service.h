#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/api/registry_service.h"
#include "server/api/worker_pool.h"

namespace larder::api {

// feast.registry.RegistryServer as the gRPC server sees it: every method takes and returns raw
// bytes, and this class does the protobuf work itself. Two reasons:
// - Requests are parsed here, not by gRPC's generated glue, so an oversize or malformed request
//   gets INVALID_ARGUMENT with a message that says what is wrong (gRPC itself answers
//   RESOURCE_EXHAUSTED or INTERNAL, and the service never sees the call).
// - Reads the stored bytes already answer (Get<Kind>, Proto) are sent without decoding and
//   re-encoding anything: the response references the snapshot's bytes, no copy is made.
// Every other call is parsed, handed to the typed RegistryService, and its response serialized.
// Methods use gRPC's callback API, which measured faster here than the synchronous thread pool
// (docs/benchmarks.md): cached reads are answered on gRPC's own threads; everything that may wait
// on the database runs on a worker pool, since callback threads must not block.
// Thread-safe.
class RawRegistryService final : public grpc::Service {
 public:
  // `typed` and `registry` are not owned and must outlive this service. Requests larger than
  // `max_request_bytes` are refused.
  RawRegistryService(RegistryService& typed, registry::Registry& registry,
                     size_t max_request_bytes, int worker_threads);

  // Methods of feast.registry.RegistryServer's descriptor with no handler here; empty unless
  // the proto gained a method this class does not serve yet.
  std::vector<std::string> UnservedMethods() const;

 private:
  // Answers a parsed request; may wait on the database.
  template <typename Request>
  using Answer =
      std::function<grpc::Status(grpc::ServerContextBase*, const Request&, grpc::ByteBuffer*)>;
  // Registers `method` on the callback API. The request is parsed once. `answer` runs on the
  // worker pool, unless `without_waiting` is given and says the request can be answered from
  // memory (a cached read): then on gRPC's own thread.
  template <typename Request>
  void Add(absl::string_view method, Answer<Request> answer,
           std::function<bool(const Request&)> without_waiting = nullptr);
  // Whether a read can be answered from the in-memory snapshot without touching the database.
  bool AnswersFromMemory(bool allow_cache);
  // A method answered by the typed service.
  template <typename Request, typename Response>
  void AddTyped(absl::string_view method,
                grpc::Status (RegistryService::*handler)(grpc::ServerContextBase*, const Request*,
                                                         Response*));
  // Parses `bytes` as the request, runs the typed handler, serializes its response.
  template <typename Request, typename Response>
  grpc::Status CallTyped(grpc::Status (RegistryService::*handler)(grpc::ServerContextBase*,
                                                                  const Request*, Response*),
                         grpc::ServerContextBase* context, const Request& request,
                         grpc::ByteBuffer* out);
  // A Get<Kind> method answered with the stored object's bytes (by `typed` when access is
  // checked).
  template <typename Message, typename Request>
  void AddStoredGet(absl::string_view method,
                    grpc::Status (RegistryService::*typed)(grpc::ServerContextBase*, const Request*,
                                                           Message*));
  // A List<Kind> method: answered with stored bytes when the request only paginates (no tags, no
  // sort key, and `plain` true for kind-specific filters) and access is not checked; otherwise
  // by `typed`.
  template <typename Message, typename Request, typename Response>
  void AddStoredList(absl::string_view method,
                     grpc::Status (RegistryService::*typed)(grpc::ServerContextBase*, const Request*,
                                                            Response*),
                     bool (*plain)(const Request&) = nullptr);
  void AddProto();  // stored bytes, or the typed handler when access is checked

  RegistryService& typed_;
  registry::Registry& registry_;
  const size_t max_request_bytes_;
  std::deque<std::string> method_paths_;  // gRPC keeps pointers to these; deque never moves them
  WorkerPool workers_;  // last: joined first, while the rest is still there
};

}  // namespace larder::api
