// Fuzzes request decoding and handling through the service layer, as every front end drives it:
// the input names a method of Feast's RegistryServer or larder.v1.Registry, then carries the
// request's wire bytes:
//   <method name> '\0' <serialized request>
// The method is looked up with MethodTable::Find, the bytes parsed into its request type, and
// the call run through CallRunner against a Registry on a scratch SQLite database, which keeps
// what earlier inputs wrote (so reads meet real objects). Any crash, sanitizer report or hang is
// a bug; error statuses are expected answers.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "server/registry/clock.h"
#include "server/registry/registry.h"
#include "server/service/call_runner.h"
#include "server/service/feast_registry_service.h"
#include "server/service/larder_registry_service.h"
#include "server/service/method.h"
#include "storage/open_store.h"

namespace larder::fuzz {
namespace {

// A scratch SQLite database with Larder's schema, in a fresh directory under $TMPDIR (left
// behind for a look after a crash). Aborts when it cannot be made: no fuzzing without it.
std::unique_ptr<storage::SqlStore> OpenScratchStore() {
  const char* tmp = getenv("TMPDIR");
  std::string dir =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/larder-fuzz-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) abort();
  auto url = storage::ParseDatabaseUrl("sqlite:///" + dir + "/registry.db");
  if (!url.ok()) abort();
  auto store = storage::OpenStore(*url, {});
  if (!store.ok() || !storage::PrepareStoreSchema(**store, false).ok()) abort();
  fprintf(stderr, "service_fuzzer: database in %s\n", dir.c_str());
  return *std::move(store);
}

// libFuzzer calls the target once per input with no context argument, so the server is built
// once per process and reached through this function's static.
struct Server {
  Server()
      : store(OpenScratchStore()),
        registry(*store, clock),
        runner(registry, nullptr, ""),
        feast(registry, runner),
        larder(registry, runner) {}

  registry::SystemClock clock;
  std::unique_ptr<storage::SqlStore> store;
  registry::Registry registry;
  service::CallRunner runner;
  service::FeastRegistryService feast;
  service::LarderRegistryService larder;
};

Server& TheServer() {
  static Server* const server = new Server();  // never destroyed: the process exits after fuzzing
  return *server;
}

}  // namespace
}  // namespace larder::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace larder;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t separator = input.find('\0');
  if (separator == absl::string_view::npos) return 0;
  const absl::string_view name = input.substr(0, separator);
  const absl::string_view bytes = input.substr(separator + 1);

  fuzz::Server& server = fuzz::TheServer();
  const service::Method* method = server.feast.Find(name);
  if (method == nullptr) method = server.larder.Find(name);
  if (method == nullptr) return 0;
  std::unique_ptr<google::protobuf::Message> request = method->NewRequest();
  if (!request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return 0;

  service::CallContext context;
  context.method = method->full_name;
  context.request_id = "fuzz";
  absl::StatusOr<service::Reply> reply = service::Invoke(server.runner, *method, context, *request);
  if (reply.ok()) {
    // Encoding the answer is part of the call path (front ends send these bytes).
    const std::string encoded = reply->Serialize();
    (void)encoded;
  } else {
    (void)reply.status().message();
  }
  return 0;
}
