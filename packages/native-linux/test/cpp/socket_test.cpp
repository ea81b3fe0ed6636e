// The socket's reply handling against a scripted fake kernel on a socketpair: stale sequence
// numbers (L8), DUMP_INTR restarts (L1, L2), errors in NLMSG_DONE (L12), extended acks, a dump
// that repeats itself (L5) and truncated messages (L7).
#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <sys/socket.h>

#include <cstring>
#include <functional>
#include <thread>

#include "fake_replies.hpp"
#include "netlink/socket.hpp"
#include "netlink/wireguard.hpp"

using namespace lanrage::nl;

namespace {

constexpr uint32_t kPort = 4242;

std::vector<uint8_t> reply(uint16_t type, uint16_t flags, uint32_t seq, const std::vector<uint8_t>& payload, uint32_t pid = kPort) {
  return fake::reply(type, flags, seq, payload, pid);
}

std::vector<uint8_t> ack(uint32_t seq, int error, const std::string& extack = "") { return fake::ack(seq, error, extack, kPort); }

std::vector<uint8_t> done(uint32_t seq, int32_t error = 0) {
  std::vector<uint8_t> p(4);
  std::memcpy(p.data(), &error, 4);
  return reply(NLMSG_DONE, NLM_F_MULTI, seq, p);
}

// A device message with one peer (key k) and one allowed IP.
std::vector<uint8_t> deviceMessage(uint32_t seq, uint16_t flags, uint8_t k) {
  MessageBuilder mb(1024, 0, 0);
  struct genlmsghdr g {};
  mb.putHeader(&g, sizeof g);
  mb.putU16(WGDEVICE_A_LISTEN_PORT, 51820);
  {
    NestGuard peers(mb, WGDEVICE_A_PEERS);
    NestGuard peer(mb, 0);
    Key key;
    key.fill(k);
    mb.put(WGPEER_A_PUBLIC_KEY, key.data(), 32);
    NestGuard ips(mb, WGPEER_A_ALLOWEDIPS);
    NestGuard ip(mb, 0);
    mb.putU16(WGALLOWEDIP_A_FAMILY, AF_INET);
    uint8_t a[4] = {10, 0, 0, k};
    mb.put(WGALLOWEDIP_A_IPADDR, a, 4);
    mb.putU8(WGALLOWEDIP_A_CIDR_MASK, 32);
  }
  auto b = mb.finish();
  return reply(21, static_cast<uint16_t>(NLM_F_MULTI | flags), seq, std::vector<uint8_t>(b.begin() + NLMSG_HDRLEN, b.end()));
}

// Runs `script(requestIndex, seq)` → datagrams to send, for `requests` requests.
struct FakeKernel {
  NetlinkSocket sock;
  std::thread thread;
  int other;
  FakeKernel(int requests, std::function<std::vector<std::vector<uint8_t>>(int, uint32_t)> script, size_t receiveBuffer = 256 * 1024)
      : sock(make(&other, receiveBuffer)) {
    thread = std::thread([this, requests, script]() {
      std::vector<uint8_t> buf(65536);
      for (int i = 0; i < requests; i++) {
        ssize_t n = ::recv(other, buf.data(), buf.size(), 0);
        if (n <= 0) return;
        uint32_t seq = reinterpret_cast<struct nlmsghdr*>(buf.data())->nlmsg_seq;
        for (auto& d : script(i, seq)) ::send(other, d.data(), d.size(), 0);
      }
    });
  }
  ~FakeKernel() {
    ::shutdown(other, SHUT_RDWR);
    thread.join();
    ::close(other);
  }
  static NetlinkSocket make(int* other, size_t receiveBuffer) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
    *other = fds[1];
    return NetlinkSocket::fromConnectedFd(UniqueFd(fds[0]), kPort, receiveBuffer);
  }
};

MessageBuilder anyRequest() { return MessageBuilder(256, 16, 0); }

}  // namespace

TEST(Socket, DropsRepliesWithAStaleSequenceOrForeignPort) {
  int dataSeen = 0;
  FakeKernel k(1, [](int, uint32_t seq) {
    return std::vector<std::vector<uint8_t>>{reply(16, 0, seq - 1, {1, 2, 3, 4}), reply(16, 0, seq, {1, 2, 3, 4}, 999), reply(16, 0, seq, {5, 6, 7, 8}), ack(seq, 0)};
  });
  auto mb = anyRequest();
  Status s = k.sock.request(mb, [&](const MessageView&) {
    dataSeen++;
    return okStatus();
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(dataSeen, 1);
}

TEST(Socket, CarriesTheKernelsExtendedAck) {
  FakeKernel k(1, [](int, uint32_t seq) { return std::vector<std::vector<uint8_t>>{ack(seq, -EINVAL, "Unknown attribute type")}; });
  auto mb = anyRequest();
  Status s = k.sock.request(mb, [](const MessageView&) { return okStatus(); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err, EINVAL);
  EXPECT_EQ(s.error().extack, "Unknown attribute type");
}

TEST(Socket, AnErrorInDoneIsAnError) {
  FakeKernel k(1, [](int, uint32_t seq) { return std::vector<std::vector<uint8_t>>{deviceMessage(seq, 0, 1), done(seq, -ENODEV)}; });
  auto mb = anyRequest();
  RequestOptions o;
  o.dump = true;
  Status s = k.sock.request(mb, [](const MessageView&) { return okStatus(); }, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err, ENODEV);
}

TEST(Socket, ADumpThatRepeatsItselfIsStalled) {
  FakeKernel k(1, [](int, uint32_t seq) {
    std::vector<std::vector<uint8_t>> out;
    for (int i = 0; i < 3; i++) out.push_back(deviceMessage(seq, 0, 7));
    out.push_back(done(seq));
    return out;
  });
  auto mb = anyRequest();
  RequestOptions o;
  o.dump = true;
  Status s = k.sock.request(mb, [](const MessageView&) { return okStatus(); }, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err, EOVERFLOW);
}

TEST(Socket, ATruncatedMessageIsAProtocolError) {
  FakeKernel k(1, [](int, uint32_t seq) {
    auto m = deviceMessage(seq, 0, 1);
    reinterpret_cast<struct nlmsghdr*>(m.data())->nlmsg_len += 64;  // claims more than was sent
    return std::vector<std::vector<uint8_t>>{m};
  });
  auto mb = anyRequest();
  RequestOptions o;
  o.dump = true;
  Status s = k.sock.request(mb, [](const MessageView&) { return okStatus(); }, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err, EPROTO);
}

TEST(WireGuardDump, RestartsOnDumpIntrAndUsesTheCleanDump) {
  FakeKernel k(2, [](int i, uint32_t seq) {
    if (i == 0) return std::vector<std::vector<uint8_t>>{deviceMessage(seq, NLM_F_DUMP_INTR, 1), done(seq)};
    return std::vector<std::vector<uint8_t>>{deviceMessage(seq, 0, 2), done(seq)};
  });
  WireGuard wg(std::move(k.sock), 21);
  auto r = wg.getDevice("wg0");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().peers.size(), 1u);
  EXPECT_EQ(r.value().peers[0].publicKey[0], 2);  // from the second, consistent dump
}

TEST(WireGuardDump, ADumpCutShortByARemovedCursorPeerIsReadAgainNeverReturnedPartial) {
  // L2: the peer the dump's cursor points at is removed mid-dump: the kernel ends the dump
  // early and flags it (NLM_F_DUMP_INTR). The first, partial answer (one peer) must never be
  // returned; the device is read again and the whole, consistent one (two peers) is.
  FakeKernel k(2, [](int i, uint32_t seq) {
    if (i == 0) return std::vector<std::vector<uint8_t>>{deviceMessage(seq, NLM_F_DUMP_INTR, 1), done(seq)};
    return std::vector<std::vector<uint8_t>>{deviceMessage(seq, NLM_F_MULTI, 2), deviceMessage(seq, NLM_F_MULTI, 3), done(seq)};
  });
  WireGuard wg(std::move(k.sock), 21);
  auto r = wg.getDevice("wg0");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r.value().peers.size(), 2u);
  EXPECT_EQ(r.value().peers[0].publicKey[0], 2);
  EXPECT_EQ(r.value().peers[1].publicKey[0], 3);
}

TEST(WireGuardDump, AReplyLargerThanTheReceiveBufferGrowsItAndTheDumpIsReadAgain) {
  // L7: MSG_TRUNC reports the datagram's real size; the buffer grows and the dump restarts
  // (never a mis-parse of a cut message).
  FakeKernel k(
      2, [](int i, uint32_t seq) { return std::vector<std::vector<uint8_t>>{deviceMessage(seq, 0, static_cast<uint8_t>(i + 5)), done(seq)}; }, 32);
  WireGuard wg(std::move(k.sock), 21);
  auto r = wg.getDevice("wg0");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r.value().peers.size(), 1u);
  EXPECT_EQ(r.value().peers[0].publicKey[0], 6);  // from the second dump, read whole
}

TEST(WireGuardDump, GivesUpAfterBoundedRetries) {
  FakeKernel k(3, [](int, uint32_t seq) { return std::vector<std::vector<uint8_t>>{deviceMessage(seq, NLM_F_DUMP_INTR, 1), done(seq)}; });
  WireGuard wg(std::move(k.sock), 21);
  auto r = wg.getDevice("wg0", 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, EAGAIN);
}
