#pragma once
// One netlink socket: requests numbered by sequence, replies matched to their request (stale
// or foreign replies dropped), ACK and extended-ack parsed, buffers grown to fit (peek first).
#include <cstdint>
#include <functional>
#include <vector>

#include "error.hpp"
#include "fd.hpp"
#include "message.hpp"

namespace lanrage::nl {

struct RequestOptions {
  bool dump = false;
  // Set when any reply of a dump carried NLM_F_DUMP_INTR (the data changed mid-dump).
  bool* interrupted = nullptr;
  // A dump longer than this many messages is stopped as stalled (L5).
  size_t maxMessages = 4'000'000;
};

class NetlinkSocket {
 public:
  static Result<NetlinkSocket> open(int protocol, int receiveTimeoutMs = 30'000);
  // A socket already connected to a peer that plays the kernel (tests use a socketpair).
  static NetlinkSocket fromConnectedFd(UniqueFd fd, uint32_t portid);
  NetlinkSocket(NetlinkSocket&&) noexcept = default;
  NetlinkSocket& operator=(NetlinkSocket&&) noexcept = default;

  // Sends `msg` (sequence number and flags filled in here) and reads replies until the ACK
  // (or NLMSG_DONE for dumps), calling `onMessage` for every data message of this request.
  Status request(MessageBuilder& msg, const std::function<Status(const MessageView&)>& onMessage, const RequestOptions& opts = {});

  uint32_t portId() const { return portid_; }

 private:
  NetlinkSocket() = default;
  Result<size_t> receive();

  UniqueFd fd_;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  bool connected_ = false;
  std::vector<uint8_t> rx_;
};

// Parses an NLMSG_ERROR payload: the errno (0 = ACK) and the extended-ack message.
struct AckInfo {
  int error = 0;  // negative errno or 0
  std::string extack;
  bool valid = false;
};
AckInfo parseAck(const MessageView& view);

}  // namespace lanrage::nl
