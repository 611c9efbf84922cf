# larder_raw_grpc_service(OUTPUT <header> PROTO <file.proto> SERVICE <Service> CPP_SERVICE <ns::Service>
#                         CLASS <ClassName>)
#
# Writes a header declaring <ClassName>: gRPC's generated service class with every unary method of
# <Service> taking raw bytes on the callback API (the generated WithRawCallbackMethod_* mixins),
# each forwarding to one pure virtual Dispatch(method_index, ...), where method_index is the
# method's index in the service descriptor. The method list comes from the .proto itself, so no
# C++ file lists the methods; the front end routes by index to the service layer's table.
function(larder_raw_grpc_service)
  cmake_parse_arguments(ARG "" "OUTPUT;PROTO;SERVICE;CPP_SERVICE;CLASS;INCLUDE" "" ${ARGN})
  file(READ "${ARG_PROTO}" proto)
  # Methods are `rpc Name (Request) returns (Response) {}`: the service's body runs from its
  # opening line to the next `service` or the end of the file.
  string(FIND "${proto}" "service ${ARG_SERVICE} {" start)
  if(start EQUAL -1)
    message(FATAL_ERROR "no service ${ARG_SERVICE} in ${ARG_PROTO}")
  endif()
  string(SUBSTRING "${proto}" ${start} -1 body)
  string(REGEX REPLACE "^(service ${ARG_SERVICE} {.*)\nservice .*$" "\\1" body "${body}")
  string(REGEX MATCHALL "rpc [A-Za-z0-9_]+ *\\([^)]*\\) *returns *\\([^)]*\\)" rpcs "${body}")
  set(chain "${ARG_CPP_SERVICE}::Service")
  set(overrides "")
  set(has_streams FALSE)
  set(index 0)
  foreach(rpc IN LISTS rpcs)
    string(REGEX REPLACE "rpc ([A-Za-z0-9_]+).*" "\\1" name "${rpc}")
    set(chain "${ARG_CPP_SERVICE}::WithRawCallbackMethod_${name}<${chain}>")
    if(rpc MATCHES "returns *\\( *stream ")
      if(rpc MATCHES "\\( *stream .*returns")
        message(FATAL_ERROR "${ARG_SERVICE}.${name}: client streaming is not supported")
      endif()
      # Server streaming: one request, a stream of responses.
      string(APPEND overrides
        "  grpc::ServerWriteReactor<grpc::ByteBuffer>* ${name}(grpc::CallbackServerContext* context,\n"
        "      const grpc::ByteBuffer* request) final {\n"
        "    return DispatchStream(${index}, context, request);\n"
        "  }\n")
      set(has_streams TRUE)
    else()
      string(APPEND overrides
        "  grpc::ServerUnaryReactor* ${name}(grpc::CallbackServerContext* context,\n"
        "      const grpc::ByteBuffer* request, grpc::ByteBuffer* response) final {\n"
        "    return Dispatch(${index}, context, request, response);\n"
        "  }\n")
    endif()
    math(EXPR index "${index} + 1")
  endforeach()
  set(stream_dispatch "")
  if(has_streams)
    set(stream_dispatch "  // Answers server-streaming method number `method_index`.
  virtual grpc::ServerWriteReactor<grpc::ByteBuffer>* DispatchStream(
      int method_index, grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) = 0;
")
  endif()
  file(CONFIGURE OUTPUT "${ARG_OUTPUT}" CONTENT "#pragma once
// Generated at configure time from ${ARG_PROTO} by server/grpc/raw_service.cmake. Do not edit.
#include \"${ARG_INCLUDE}\"

namespace larder::grpc_edge {

class ${ARG_CLASS} : public ${chain} {
 public:
  static constexpr int kMethodCount = ${index};

${overrides}
 protected:
  // Answers method number `method_index` (its index in the service descriptor).
  virtual grpc::ServerUnaryReactor* Dispatch(int method_index,
                                             grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) = 0;
${stream_dispatch}};

}  // namespace larder::grpc_edge
" @ONLY)
  set_property(DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${ARG_PROTO}")
endfunction()
