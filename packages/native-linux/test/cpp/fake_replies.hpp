#pragma once
// Reply datagrams a scripted fake kernel sends in the socket tests: a header around a payload,
// and ACKs (with an optional extended-ack message).
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "netlink/message.hpp"

namespace lanrage::nl::fake {

using Datagram = std::vector<uint8_t>;

// One reply: header (type, flags, seq, sender port) + payload.
inline Datagram reply(uint16_t type, uint16_t flags, uint32_t seq, const std::vector<uint8_t>& payload, uint32_t pid) {
  Datagram out(NLMSG_HDRLEN + payload.size());
  auto* h = reinterpret_cast<struct nlmsghdr*>(out.data());
  h->nlmsg_len = static_cast<uint32_t>(out.size());
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  h->nlmsg_seq = seq;
  h->nlmsg_pid = pid;
  if (!payload.empty()) std::memcpy(out.data() + NLMSG_HDRLEN, payload.data(), payload.size());
  return out;
}

// An ACK (error 0) or a refusal (negative errno), capped like the kernel's with NETLINK_CAP_ACK.
inline Datagram ack(uint32_t seq, int error, const std::string& extack, uint32_t pid) {
  std::vector<uint8_t> p(sizeof(struct nlmsgerr));
  struct nlmsgerr e {};
  e.error = error;
  std::memcpy(p.data(), &e, sizeof e);
  uint16_t flags = NLM_F_CAPPED;
  if (!extack.empty()) {
    flags |= NLM_F_ACK_TLVS;
    MessageBuilder mb(256, 0, 0);
    mb.putString(NLMSGERR_ATTR_MSG, extack);
    auto b = mb.finish();
    p.insert(p.end(), b.begin() + NLMSG_HDRLEN, b.end());
  }
  return reply(NLMSG_ERROR, flags, seq, p, pid);
}

}  // namespace lanrage::nl::fake
