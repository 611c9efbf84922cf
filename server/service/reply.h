#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace larder::service {

// What an operation answers: a message, or a message already encoded as bytes (stored registry
// rows sent as they are). Encoded bytes are pieces whose owners keep them alive, so a front end
// can send them without copying. The two are interchangeable on the wire.
class Reply {
 public:
  // Bytes `bytes` that stay valid as long as `owner` lives.
  struct Piece {
    std::shared_ptr<const void> owner;
    absl::string_view bytes;
  };

  static Reply Of(std::unique_ptr<google::protobuf::Message> message) {
    Reply reply;
    reply.message_ = std::move(message);
    return reply;
  }
  static Reply Encoded(std::vector<Piece> pieces) {
    Reply reply;
    reply.pieces_ = std::move(pieces);
    return reply;
  }
  // One owned string.
  static Reply Encoded(std::string bytes) {
    auto owned = std::make_shared<const std::string>(std::move(bytes));
    absl::string_view view = *owned;
    return Encoded(std::vector<Piece>{{std::move(owned), view}});
  }

  // nullptr when the reply is encoded.
  const google::protobuf::Message* message() const { return message_.get(); }
  const std::vector<Piece>& pieces() const { return pieces_; }
  // The reply as one serialized message (a copy; for front ends that need one buffer).
  std::string Serialize() const;

 private:
  std::unique_ptr<google::protobuf::Message> message_;
  std::vector<Piece> pieces_;
};

}  // namespace larder::service
