#include "socket.hpp"

#include <string.h>

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>

namespace lanrage::nl {

namespace {

// Zeroes a received datagram once it is handled.
struct WipeOnExit {
  uint8_t* p;
  size_t n;
  ~WipeOnExit() { ::explicit_bzero(p, n); }
};

}  // namespace

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif

Result<NetlinkSocket> NetlinkSocket::open(int protocol, int receiveTimeoutMs) {
  NetlinkSocket s;
  s.fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
  if (!s.fd_.valid()) return makeError(errno, "socket", "opening a netlink socket");
  int one = 1;
  // Best effort: older kernels lack these options and still work without extack.
  ::setsockopt(s.fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(s.fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  int rcvbuf = 1 << 20;
  ::setsockopt(s.fd_.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct timeval tv {};
  tv.tv_sec = receiveTimeoutMs / 1000;
  tv.tv_usec = (receiveTimeoutMs % 1000) * 1000;
  ::setsockopt(s.fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_nl addr {};
  addr.nl_family = AF_NETLINK;
  if (::bind(s.fd_.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) return makeError(errno, "bind", "binding a netlink socket");
  socklen_t len = sizeof addr;
  if (::getsockname(s.fd_.get(), reinterpret_cast<struct sockaddr*>(&addr), &len) != 0) return makeError(errno, "getsockname", "netlink port id");
  s.portid_ = addr.nl_pid;
  s.seq_ = static_cast<uint32_t>(::time(nullptr));
  s.rx_.resize(256 * 1024);
  return s;
}

NetlinkSocket NetlinkSocket::fromConnectedFd(UniqueFd fd, uint32_t portid, size_t receiveBuffer) {
  NetlinkSocket s;
  s.fd_ = std::move(fd);
  s.portid_ = portid;
  s.connected_ = true;
  s.rx_.resize(receiveBuffer);
  return s;
}

Result<size_t> NetlinkSocket::receive() {
  for (;;) {
    // One recvmsg per reply. MSG_TRUNC makes the kernel report a datagram's real length, so a
    // reply larger than the buffer is detected (never mis-parsed): the buffer grows and the
    // caller gets EMSGSIZE for that request (dumps restart). Kernel replies are at most a few
    // tens of KiB, far below the 256 KiB buffer, so this costs nothing in practice (L7).
    struct iovec iov {
      rx_.data(), rx_.size()
    };
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      return makeError(e == EAGAIN || e == EWOULDBLOCK ? ETIMEDOUT : e, "recvmsg", "reading a netlink reply");
    }
    if (static_cast<size_t>(n) > rx_.size() || (msg.msg_flags & MSG_TRUNC)) {
      rx_.resize(static_cast<size_t>(n) + 4096);
      return makeError(EMSGSIZE, "recvmsg", "a netlink reply was larger than the receive buffer");
    }
    return static_cast<size_t>(n);
  }
}

Status NetlinkSocket::send(const struct iovec* iov, size_t count) {
  struct sockaddr_nl kernel {};
  kernel.nl_family = AF_NETLINK;
  struct msghdr mh {};
  if (!connected_) {
    mh.msg_name = &kernel;
    mh.msg_namelen = sizeof kernel;
  }
  mh.msg_iov = const_cast<struct iovec*>(iov);
  mh.msg_iovlen = count;
  for (;;) {
    // A netlink send is one datagram: all of it is queued, or none.
    if (::sendmsg(fd_.get(), &mh, 0) >= 0) return okStatus();
    if (errno == EINTR) continue;
    return makeError(errno, "sendmsg", "sending a netlink request");
  }
}

AckInfo parseAck(const MessageView& view) {
  AckInfo info;
  if (view.payloadLen < sizeof(struct nlmsgerr)) return info;
  struct nlmsgerr err;
  std::memcpy(&err, view.payload, sizeof err);
  info.error = err.error;
  info.valid = true;
  if (view.hdr->nlmsg_flags & NLM_F_ACK_TLVS) {
    size_t off = sizeof(struct nlmsgerr);
    if (!(view.hdr->nlmsg_flags & NLM_F_CAPPED)) {
      // The original request follows in full; skip it (bounded by what we received).
      size_t orig = err.msg.nlmsg_len > NLMSG_HDRLEN ? NLMSG_ALIGN(err.msg.nlmsg_len) - NLMSG_HDRLEN : 0;
      off += orig;
    }
    if (off < view.payloadLen) {
      AttrIterator it(view.payload + off, view.payloadLen - off);
      Attr a;
      while (it.next(a)) {
        if (a.type == NLMSGERR_ATTR_MSG) info.extack = a.str();
      }
    }
  }
  return info;
}

Status NetlinkSocket::request(MessageBuilder& msg, const std::function<Status(const MessageView&)>& onMessage, const RequestOptions& opts) {
  const uint32_t seq = ++seq_;
  msg.setSeq(seq);
  msg.seal(NLM_F_REQUEST | (opts.dump ? NLM_F_DUMP : NLM_F_ACK));
  struct iovec iov {
    const_cast<uint8_t*>(msg.data()), msg.size()
  };
  Status sent = send(&iov, 1);
  // Wipe key material from the request as soon as it is sent.
  msg.wipe();
  if (!sent.ok()) return sent;

  size_t messages = 0;
  // The previous dump message as length + FNV-1a hash: enough to spot a kernel that repeats
  // itself, without keeping a copy of data that can hold keys.
  size_t previousLen = 0;
  uint64_t previousHash = 0;
  for (;;) {
    auto got = receive();
    if (!got.ok()) return got.error();
    // Replies can carry keys (dumps; an error ACK echoes the request): wiped once handled.
    WipeOnExit wipeReply{rx_.data(), got.value()};
    MessageIterator it(rx_.data(), got.value());
    MessageView view;
    while (it.next(view)) {
      if (view.hdr->nlmsg_seq != seq || (view.hdr->nlmsg_pid != portid_ && view.hdr->nlmsg_pid != 0)) continue;  // stale (L8)
      if ((view.hdr->nlmsg_flags & NLM_F_DUMP_INTR) && opts.interrupted) *opts.interrupted = true;
      switch (view.hdr->nlmsg_type) {
        case NLMSG_NOOP:
        case NLMSG_OVERRUN:
          continue;
        case NLMSG_ERROR: {
          AckInfo ack = parseAck(view);
          if (!ack.valid) return makeError(EPROTO, "parse", "malformed netlink ACK");
          if (ack.error == 0) return okStatus();
          return makeError(-ack.error, "netlink", "the kernel refused the request", ack.extack);
        }
        case NLMSG_DONE: {
          // A DONE can carry an error (L12).
          int32_t e = 0;
          if (view.payloadLen >= sizeof e) std::memcpy(&e, view.payload, sizeof e);
          if (e < 0) {
            std::string extack;
            return makeError(-e, "netlink", "the kernel ended the dump with an error", extack);
          }
          return okStatus();
        }
        default: {
          if (opts.dump) {
            if (++messages > opts.maxMessages) return makeError(EOVERFLOW, "netlink", "dump stalled: too many messages");
            // A kernel that sends the same message again makes no progress (L5).
            uint64_t h = 1469598103934665603ULL;
            for (size_t i = 0; i < view.payloadLen; ++i) h = (h ^ view.payload[i]) * 1099511628211ULL;
            if (view.payloadLen > 0 && previousLen == view.payloadLen && previousHash == h) {
              return makeError(EOVERFLOW, "netlink", "dump stalled: the kernel repeated a message");
            }
            previousLen = view.payloadLen;
            previousHash = h;
          }
          Status s = onMessage(view);
          if (!s.ok()) return s;
        }
      }
    }
    if (!it.valid()) return makeError(EPROTO, "parse", "truncated netlink message");
  }
}

Status NetlinkSocket::requestBatch(std::vector<MessageBuilder>& msgs, std::vector<BatchAck>& acks, const BatchOptions& opts) {
  acks.assign(msgs.size(), BatchAck{});
  const size_t maxMessages = std::clamp<size_t>(opts.maxMessages, 1, IOV_MAX);
  Status result = okStatus();
  for (size_t first = 0; first < msgs.size();) {
    // At least one message per send, however large; then as many as the limits allow.
    size_t count = 1;
    size_t bytes = msgs[first].size();
    while (first + count < msgs.size() && count < maxMessages && bytes + msgs[first + count].size() <= opts.maxBytes) bytes += msgs[first + count++].size();
    result = exchangeChunk(msgs, first, count, acks);
    if (!result.ok()) break;
    first += count;
  }
  for (auto& m : msgs) m.wipe();  // the unsent ones too, after a failure
  return result;
}

Status NetlinkSocket::exchangeChunk(std::vector<MessageBuilder>& msgs, size_t first, size_t count, std::vector<BatchAck>& acks) {
  const uint32_t firstSeq = seq_ + 1;
  std::vector<struct iovec> iov(count);
  for (size_t i = 0; i < count; ++i) {
    MessageBuilder& m = msgs[first + i];
    m.setSeq(++seq_);
    m.seal(NLM_F_REQUEST | NLM_F_ACK);
    iov[i].iov_base = const_cast<uint8_t*>(m.data());
    iov[i].iov_len = m.size();
  }
  Status sent = send(iov.data(), count);
  for (size_t i = 0; i < count; ++i) msgs[first + i].wipe();
  if (!sent.ok()) return sent;

  size_t pending = count;
  while (pending > 0) {
    auto got = receive();
    if (!got.ok()) return got.error();
    WipeOnExit wipeReply{rx_.data(), got.value()};
    MessageIterator it(rx_.data(), got.value());
    MessageView view;
    while (it.next(view)) {
      // Unsigned: a sequence number below this send's wraps to far out of range.
      const uint32_t offset = view.hdr->nlmsg_seq - firstSeq;
      if (offset >= count || (view.hdr->nlmsg_pid != portid_ && view.hdr->nlmsg_pid != 0)) continue;  // stale (L8)
      if (view.hdr->nlmsg_type != NLMSG_ERROR) continue;  // no data was asked for
      AckInfo ack = parseAck(view);
      if (!ack.valid) return makeError(EPROTO, "parse", "malformed netlink ACK");
      BatchAck& a = acks[first + offset];
      if (a.err != -1) continue;  // answered already
      // The kernel sends 0 or a negative errno; anything else is not an answer we understand.
      a.err = ack.error <= 0 && ack.error > -4096 ? -ack.error : EPROTO;
      if (a.err != 0) a.extack = std::move(ack.extack);
      --pending;
    }
    if (!it.valid()) return makeError(EPROTO, "parse", "truncated netlink message");
  }
  return okStatus();
}

}  // namespace lanrage::nl
