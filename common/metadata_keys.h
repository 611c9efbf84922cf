#pragma once

// Request metadata keys that clients send and the server reads; one definition for both sides.

namespace larder::common {

// The client's per-request id, kept across its retries, so the server applies a write once.
inline constexpr char kRequestIdKey[] = "x-larder-request-id";
// Feast's client sends `authorization: Bearer <token>`; gRPC lower-cases metadata keys.
inline constexpr char kAuthorizationKey[] = "authorization";

}  // namespace larder::common
