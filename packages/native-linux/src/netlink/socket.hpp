#pragma once
// One netlink socket: requests numbered by sequence, replies matched to their request (stale
// or foreign replies dropped), ACK and extended-ack parsed, buffers grown to fit (peek first);
// batches of requests sent many to a datagram, each answered by its own ACK.
#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <string>
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

// How a batch is cut into sends: each send carries at most this many messages and bytes, so
// every ACK of a send fits the socket's receive buffer at once (the kernel answers the whole
// send before we read anything; an ACK takes under 1 KiB of a buffer of at least 416 KiB,
// the default rmem_max doubled; a lost ACK would be ENOBUFS).
struct BatchOptions {
  size_t maxMessages = 256;
  size_t maxBytes = 64 * 1024;
};

// The answer to one message of a batch.
struct BatchAck {
  int err = -1;        // 0 = acknowledged, > 0 = the kernel's errno, -1 = no answer (a transport error stopped the batch)
  std::string extack;  // the kernel's extended-ack text, for a refusal
};

class NetlinkSocket {
 public:
  static Result<NetlinkSocket> open(int protocol, int receiveTimeoutMs = 30'000);
  // A socket already connected to a peer that plays the kernel (tests use a socketpair, and a
  // small receive buffer to exercise its growth).
  static NetlinkSocket fromConnectedFd(UniqueFd fd, uint32_t portid, size_t receiveBuffer = 256 * 1024);
  NetlinkSocket(NetlinkSocket&&) noexcept = default;
  NetlinkSocket& operator=(NetlinkSocket&&) noexcept = default;

  // Sends `msg` (sequence number and flags filled in here) and reads replies until the ACK
  // (or NLMSG_DONE for dumps), calling `onMessage` for every data message of this request.
  Status request(MessageBuilder& msg, const std::function<Status(const MessageView&)>& onMessage, const RequestOptions& opts = {});

  // Sends every message (sequence numbers and NLM_F_REQUEST | NLM_F_ACK filled in here) in as
  // few sends as `opts` allows and reads ACKs until each message of a send is answered. The
  // kernel handles every message of a send even after one is refused, so a refusal never stops
  // the batch: `acks[i]` is message i's answer. The Status fails only when the exchange itself
  // does (send, receive, timeout, a malformed reply); the later messages are then unanswered.
  Status requestBatch(std::vector<MessageBuilder>& msgs, std::vector<BatchAck>& acks, const BatchOptions& opts = {});

  uint32_t portId() const { return portid_; }

 private:
  NetlinkSocket() = default;
  Result<size_t> receive();
  Status send(const struct iovec* iov, size_t count);
  // One send of msgs[first, first+count) and its ACKs.
  Status exchangeChunk(std::vector<MessageBuilder>& msgs, size_t first, size_t count, std::vector<BatchAck>& acks);

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
