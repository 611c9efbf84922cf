#include "server/service/reply.h"

namespace larder::service {

std::string Reply::Serialize() const {
  if (message_ != nullptr) return message_->SerializeAsString();
  std::string out;
  for (const Piece& piece : pieces_) out.append(piece.bytes.data(), piece.bytes.size());
  return out;
}

}  // namespace larder::service
