// Authentication without a server: the `authorization` header as Feast parses it, the tokens
// file format, and the static-token authenticator.
#include <catch2/catch.hpp>

#include "server/auth/authenticator.h"
#include "server/auth/static_tokens.h"
#include "server/server_config.h"

namespace larder::auth {
namespace {

std::string TokenOrError(absl::string_view header) {
  absl::StatusOr<absl::string_view> token = BearerTokenOf(header);
  if (!token.ok()) return std::string(token.status().ToString());
  return std::string(*token);
}

TEST_CASE("The bearer token is the second of exactly two parts, scheme in any case", "[auth]") {
  CHECK(TokenOrError("Bearer abc.def") == "abc.def");
  CHECK(TokenOrError("bearer abc") == "abc");
  CHECK(TokenOrError("BEARER abc") == "abc");
  CHECK(TokenOrError("Bearer  abc ") == "abc");
}

TEST_CASE("Missing and malformed authorization headers are UNAUTHENTICATED", "[auth]") {
  CHECK(TokenOrError("") == "UNAUTHENTICATED: Missing authorization header");
  CHECK(TokenOrError("Basic dXNlcjpwdw==") ==
        "UNAUTHENTICATED: Expected Bearer schema, found Basic");
  CHECK(TokenOrError("Bearer") == "UNAUTHENTICATED: Expected Bearer schema, found Bearer");
  CHECK(TokenOrError("Bearer ") == "UNAUTHENTICATED: Expected Bearer schema, found Bearer");
  CHECK(TokenOrError("Bearer a b") == "UNAUTHENTICATED: Expected Bearer schema, found Bearer");
  CHECK(TokenOrError("Bearertoken") ==
        "UNAUTHENTICATED: Expected Bearer schema, found Bearertoken");
}

TEST_CASE("A tokens file maps tokens to users with roles, groups and namespaces", "[auth]") {
  auto tokens = ParseStaticTokens(
      "# comment\n"
      "\n"
      "s3cret-a alice roles=reader,writer groups=ml namespaces=prod,dev\n"
      "  s3cret-b\tbob  \n"
      "s3cret-c carol roles=\n");
  REQUIRE(tokens.ok());
  REQUIRE(tokens->size() == 3);
  const User& alice = (*tokens)[0].user;
  CHECK((*tokens)[0].token == "s3cret-a");
  CHECK(alice.username == "alice");
  CHECK(alice.roles == std::vector<std::string>{"reader", "writer"});
  CHECK(alice.groups == std::vector<std::string>{"ml"});
  CHECK(alice.namespaces == std::vector<std::string>{"prod", "dev"});
  CHECK((*tokens)[1].token == "s3cret-b");
  CHECK((*tokens)[1].user.username == "bob");
  CHECK((*tokens)[1].user.roles.empty());
  CHECK((*tokens)[2].user.roles.empty());
}

TEST_CASE("Malformed tokens files name the line and never the token", "[auth]") {
  auto message = [](absl::string_view contents) {
    auto parsed = ParseStaticTokens(contents);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string text(parsed.status().message());
    CHECK(text.find("s3cret") == std::string::npos);
    return text;
  };
  CHECK(message("s3cret-only\n") == "line 1: expected '<token> <username> ...'");
  CHECK(message("# x\ns3cret alice colour=red\n") ==
        "line 2: unknown field 'colour' (roles=, groups= or namespaces=)");
  CHECK(message("s3cret alice roles\n") == "line 1: 'roles' needs '=' and a list");
  CHECK(message("s3cret alice roles=a roles=b\n") == "line 1: 'roles' given twice");
  CHECK(message("s3cret roles=a\n") == "line 1: the second field must be the username");
  CHECK(message("s3cret alice\ns3cret bob\n") ==
        "line 2: the token of user 'bob' is also the token of 'alice'");
}

TEST_CASE("The static-token authenticator accepts exactly the listed tokens", "[auth]") {
  auto tokens = ParseStaticTokens("tok-a alice roles=reader\ntok-b bob\n");
  REQUIRE(tokens.ok());
  StaticTokenAuthenticator authenticator(*std::move(tokens));
  auto alice = authenticator.Authenticate("Bearer tok-a");
  REQUIRE(alice.ok());
  CHECK(alice->username == "alice");
  CHECK(alice->roles == std::vector<std::string>{"reader"});
  CHECK(authenticator.Authenticate("bearer tok-b")->username == "bob");
  for (const char* header : {"Bearer tok-", "Bearer tok-aa", "Bearer TOK-A", "Bearer x"}) {
    INFO(header);
    auto rejected = authenticator.Authenticate(header);
    CHECK(rejected.status().code() == absl::StatusCode::kUnauthenticated);
    CHECK(rejected.status().message() == "Invalid token");
  }
  CHECK(authenticator.Authenticate("").status().message() == "Missing authorization header");
}

TEST_CASE("An unreadable or empty tokens file is a start-up error naming it", "[auth]") {
  auto missing = LoadStaticTokens("/nonexistent/tokens.txt");
  CHECK(missing.status().message() == "cannot read auth tokens file /nonexistent/tokens.txt");
  auto empty = LoadStaticTokens("/dev/null");
  CHECK(empty.status().message() == "auth tokens file /dev/null has no tokens");
}

const char* NoEnv(const char*) { return nullptr; }

TEST_CASE("Auth flags are parsed, and JWT settings need --auth-jwks", "[auth][config]") {
  auto config = ParseServerConfig(
      {"serve", "--auth-tokens=/etc/larder/tokens", "--default-project", "demo"}, NoEnv);
  REQUIRE(config.ok());
  CHECK(config->auth_tokens_file == "/etc/larder/tokens");
  CHECK(config->default_project == "demo");
  CHECK(config->auth_enabled());
  CHECK_FALSE(ParseServerConfig({}, NoEnv)->auth_enabled());
  auto orphan = ParseServerConfig({"--auth-issuer=https://idp"}, NoEnv);
  CHECK(orphan.status().message() ==
        "--auth-issuer, --auth-audience and --auth-client-id need --auth-jwks");
  CHECK(ParseServerConfig({"--auth-tokens="}, NoEnv).status().message() ==
        "--auth-tokens needs a non-empty value");
}

}  // namespace
}  // namespace larder::auth
