#include "icmp.hpp"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "fd.hpp"

namespace lanrage::nl {

namespace {

uint16_t checksum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (len & 1) sum += static_cast<uint32_t>(data[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

std::atomic<uint16_t> g_seq{1};

}  // namespace

Result<double> ping(uint8_t family, const std::array<uint8_t, 16>& addr, int timeoutMs) {
  const bool v6 = family == AF_INET6;
  const int proto = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  bool raw = false;
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, proto));
  if (!fd.valid()) {
    fd.reset(::socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, proto));
    raw = true;
  }
  if (!fd.valid()) return makeError(errno, "socket", "opening an ICMP socket (needs ping_group_range or CAP_NET_RAW)");

  struct sockaddr_storage ss {};
  socklen_t sslen;
  if (v6) {
    auto* s6 = reinterpret_cast<struct sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    std::memcpy(&s6->sin6_addr, addr.data(), 16);
    sslen = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<struct sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    std::memcpy(&s4->sin_addr, addr.data(), 4);
    sslen = sizeof *s4;
  }

  const uint16_t seq = g_seq.fetch_add(1);
  const uint16_t ident = static_cast<uint16_t>(::getpid() ^ 0x6c72);  // the kernel replaces it on datagram sockets
  uint8_t packet[64] = {};
  packet[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  std::memcpy(packet + 4, &ident, 2);
  uint16_t nseq = htons(seq);
  std::memcpy(packet + 6, &nseq, 2);
  std::memcpy(packet + 8, "lanrage-latency-probe", 21);
  if (!v6) {
    uint16_t c = checksum(packet, sizeof packet);
    std::memcpy(packet + 2, &c, 2);
  }  // ICMPv6 checksums are filled in by the kernel

  const auto start = std::chrono::steady_clock::now();
  if (::sendto(fd.get(), packet, sizeof packet, 0, reinterpret_cast<struct sockaddr*>(&ss), sslen) < 0) {
    int e = errno;
    if (e == ENETUNREACH || e == EHOSTUNREACH || e == ENOKEY) return -1.0;  // no route: no reply, not a failure
    return makeError(e, "sendto", "sending an ICMP echo");
  }
  uint8_t buf[1500];
  for (;;) {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    int left = timeoutMs - static_cast<int>(elapsed);
    if (left <= 0) return -1.0;
    struct pollfd pfd {
      fd.get(), POLLIN, 0
    };
    int r = ::poll(&pfd, 1, left);
    if (r < 0) {
      if (errno == EINTR) continue;
      return makeError(errno, "poll", "waiting for an ICMP echo reply");
    }
    if (r == 0) return -1.0;
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == ECONNREFUSED) return -1.0;
      return makeError(errno, "recvmsg", "reading an ICMP echo reply");
    }
    const uint8_t* icmp = buf;
    size_t len = static_cast<size_t>(n);
    if (raw && !v6) {
      // Raw IPv4 sockets deliver the IP header too.
      if (len < sizeof(struct iphdr)) continue;
      size_t ihl = static_cast<size_t>(buf[0] & 0x0f) * 4;
      if (ihl < 20 || ihl > len) continue;
      icmp += ihl;
      len -= ihl;
    }
    if (len < 8) continue;
    const uint8_t wantType = v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
    uint16_t gotSeq;
    std::memcpy(&gotSeq, icmp + 6, 2);
    if (icmp[0] != wantType || ntohs(gotSeq) != seq) continue;
    if (raw) {
      uint16_t gotId;
      std::memcpy(&gotId, icmp + 4, 2);
      if (gotId != ident) continue;
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    return static_cast<double>(us) / 1000.0;
  }
}

}  // namespace lanrage::nl
