// Batched requests against a scripted fake kernel on a socketpair: sends cut by the message and
// byte limits, every ACK read even after a refusal in the middle, stale and foreign replies
// dropped, a timeout leaving the rest unanswered; Rtnl::changeRoutes on top of it (removals
// first, ESRCH on a removal is done); link notifications and the ifindex cache rules.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "binding/core.hpp"
#include "fake_replies.hpp"
#include "netlink/rtnl.hpp"
#include "netlink/socket.hpp"

using namespace lanrage::nl;

namespace {

constexpr uint32_t kPort = 4343;
using fake::Datagram;

Datagram reply(uint16_t type, uint16_t flags, uint32_t seq, const std::vector<uint8_t>& payload, uint32_t pid = kPort) {
  return fake::reply(type, flags, seq, payload, pid);
}

Datagram ack(uint32_t seq, int error, const std::string& extack = "", uint32_t pid = kPort) { return fake::ack(seq, error, extack, pid); }

Datagram join(const std::vector<Datagram>& parts) {
  Datagram out;
  for (const auto& d : parts) out.insert(out.end(), d.begin(), d.end());
  return out;
}

// One message of a send, as the fake kernel received it.
struct Received {
  struct nlmsghdr hdr;
  std::vector<uint8_t> payload;
};

// A fake kernel that answers each send with script(sendIndex, its messages) → datagrams, for
// as many sends as come, and remembers every message.
struct BatchKernel {
  using Script = std::function<std::vector<Datagram>(int, const std::vector<Received>&)>;
  int other = -1;  // before sock: make() sets it
  NetlinkSocket sock;
  std::thread thread;
  std::mutex m;
  std::vector<std::vector<Received>> sends;

  explicit BatchKernel(Script script, int receiveTimeoutMs = 0) : sock(make(&other, receiveTimeoutMs)) {
    thread = std::thread([this, script]() {
      std::vector<uint8_t> buf(256 * 1024);
      for (int i = 0;; i++) {
        ssize_t n = ::recv(other, buf.data(), buf.size(), 0);
        if (n <= 0) return;
        std::vector<Received> msgs;
        MessageIterator it(buf.data(), static_cast<size_t>(n));
        MessageView v;
        while (it.next(v)) msgs.push_back(Received{*v.hdr, std::vector<uint8_t>(v.payload, v.payload + v.payloadLen)});
        {
          std::lock_guard<std::mutex> lock(m);
          sends.push_back(msgs);
        }
        for (auto& d : script(i, msgs)) ::send(other, d.data(), d.size(), 0);
      }
    });
  }
  ~BatchKernel() { stop(); }
  // Ends the fake kernel; `sends` is then complete.
  void stop() {
    if (other < 0) return;
    ::shutdown(other, SHUT_RDWR);
    thread.join();
    ::close(other);
    other = -1;
  }
  static NetlinkSocket make(int* other, int receiveTimeoutMs) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
    // Room for a whole send's ACKs, as a netlink socket has.
    int size = 1 << 20;
    ::setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    ::setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (receiveTimeoutMs > 0) {
      struct timeval tv {};
      tv.tv_usec = receiveTimeoutMs * 1000;
      ::setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    *other = fds[1];
    return NetlinkSocket::fromConnectedFd(UniqueFd(fds[0]), kPort);
  }
};

// Every message ACKed in its own datagram.
std::vector<Datagram> ackAll(int, const std::vector<Received>& msgs) {
  std::vector<Datagram> out;
  for (const auto& r : msgs) out.push_back(ack(r.hdr.nlmsg_seq, 0));
  return out;
}

std::vector<MessageBuilder> requests(size_t n) {
  std::vector<MessageBuilder> out;
  for (size_t i = 0; i < n; i++) {
    out.emplace_back(256, 16, 0);
    out.back().putU32(1, static_cast<uint32_t>(i));
  }
  return out;
}

bool allZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0) return false;
  return true;
}

Prefix v4(uint8_t a, uint8_t b, uint8_t c, uint8_t len) {
  Prefix p;
  p.family = AF_INET;
  p.addr = {a, b, c, 0};
  p.prefixLen = len;
  return p;
}

Prefix v6(uint8_t a, uint8_t len) {
  Prefix p;
  p.family = AF_INET6;
  p.addr = {0xfd, 0, 0, 0, 0, 0, 0, a};
  p.prefixLen = len;
  return p;
}

// The rtmsg and attributes of a route message.
struct RouteSeen {
  struct rtmsg rt;
  uint32_t oif = 0;
  std::vector<uint8_t> dst;
};

RouteSeen parseRoute(const Received& r) {
  RouteSeen out{};
  std::memcpy(&out.rt, r.payload.data(), sizeof out.rt);
  size_t off = NLMSG_ALIGN(sizeof(struct rtmsg));
  AttrIterator it(r.payload.data() + off, r.payload.size() - off);
  Attr a;
  while (it.next(a)) {
    if (a.type == RTA_OIF) a.u32(out.oif);
    else if (a.type == RTA_DST) out.dst.assign(a.data, a.data + a.len);
  }
  return out;
}

Datagram linkMessage(uint16_t type, int index, const std::string& name) {
  MessageBuilder mb(512, type, 0);
  struct ifinfomsg ifi {};
  ifi.ifi_index = index;
  mb.putHeader(&ifi, sizeof ifi);
  mb.putString(IFLA_IFNAME, name);
  return mb.finish();
}

}  // namespace

TEST(Batch, AcknowledgesEveryMessageInAsFewSendsAsTheLimitsAllow) {
  BatchKernel k([](int i, const std::vector<Received>& msgs) {
    if (i < 2) return ackAll(i, msgs);
    // The last send: all ACKs in one datagram, newest first.
    std::vector<Datagram> acks;
    for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) acks.push_back(ack(it->hdr.nlmsg_seq, 0));
    return std::vector<Datagram>{join(acks)};
  });
  auto msgs = requests(600);
  std::vector<BatchAck> acks;
  Status s = k.sock.requestBatch(msgs, acks);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(acks.size(), 600u);
  for (const auto& a : acks) EXPECT_EQ(a.err, 0);
  for (const auto& m : msgs) EXPECT_TRUE(allZero(m.data(), m.size())) << "a sent request is wiped";
  k.stop();
  ASSERT_EQ(k.sends.size(), 3u);
  EXPECT_EQ(k.sends[0].size(), 256u);
  EXPECT_EQ(k.sends[1].size(), 256u);
  EXPECT_EQ(k.sends[2].size(), 88u);
  uint32_t previous = 0;
  uint32_t n = 0;
  for (const auto& send : k.sends) {
    for (const auto& r : send) {
      EXPECT_EQ(r.hdr.nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK), NLM_F_REQUEST | NLM_F_ACK);
      if (n > 0) EXPECT_EQ(r.hdr.nlmsg_seq, previous + 1) << "one sequence number per message";
      uint32_t payload = 0;
      std::memcpy(&payload, r.payload.data() + kAttrHeader, 4);
      EXPECT_EQ(payload, n) << "messages go out in order";
      previous = r.hdr.nlmsg_seq;
      n++;
    }
  }
}

TEST(Batch, TheByteLimitCutsSendsAndAnOversizedMessageGoesAlone) {
  BatchKernel k(ackAll);
  auto msgs = requests(10);  // 24 bytes each
  msgs.emplace_back(1024, 16, 0);
  std::vector<uint8_t> big(200, 7);
  msgs.back().put(2, big.data(), big.size());
  BatchOptions opts;
  opts.maxBytes = 100;
  std::vector<BatchAck> acks;
  ASSERT_TRUE(k.sock.requestBatch(msgs, acks, opts).ok());
  k.stop();
  std::vector<size_t> sizes;
  for (const auto& send : k.sends) sizes.push_back(send.size());
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 4, 2, 1}));
}

TEST(Batch, ARefusalInTheMiddleStillReadsTheLaterAcksAndSendsTheRest) {
  BatchKernel k([](int i, const std::vector<Received>& msgs) {
    std::vector<Datagram> out;
    for (size_t j = 0; j < msgs.size(); j++) {
      const bool refuse = i == 0 && j == 2;
      out.push_back(ack(msgs[j].hdr.nlmsg_seq, refuse ? -EINVAL : 0, refuse ? "Invalid prefix for given prefix length" : ""));
    }
    return out;
  });
  auto msgs = requests(8);
  BatchOptions opts;
  opts.maxMessages = 5;
  std::vector<BatchAck> acks;
  Status s = k.sock.requestBatch(msgs, acks, opts);
  ASSERT_TRUE(s.ok()) << "a refusal is an answer, not a failed exchange";
  std::vector<int> errs;
  for (const auto& a : acks) errs.push_back(a.err);
  EXPECT_EQ(errs, (std::vector<int>{0, 0, EINVAL, 0, 0, 0, 0, 0}));
  EXPECT_EQ(acks[2].extack, "Invalid prefix for given prefix length");
  k.stop();
  EXPECT_EQ(k.sends.size(), 2u);
}

TEST(Batch, StaleForeignAndRepeatedRepliesAreDropped) {
  BatchKernel k([](int, const std::vector<Received>& msgs) {
    const uint32_t first = msgs.front().hdr.nlmsg_seq;
    const uint32_t last = msgs.back().hdr.nlmsg_seq;
    std::vector<Datagram> out;
    out.push_back(ack(first - 1, -EPERM));                                   // an earlier request's
    out.push_back(ack(first, -EPERM, "", 999));                              // another socket's
    out.push_back(ack(last + 1, -EPERM));                                    // not sent yet
    out.push_back(reply(RTM_NEWROUTE, 0, first, std::vector<uint8_t>(12)));  // data nobody asked for
    out.push_back(join({ack(first, 0), ack(first, -EPERM)}));                // the second answer is ignored
    for (size_t j = 1; j < msgs.size(); j++) out.push_back(ack(msgs[j].hdr.nlmsg_seq, 0));
    return out;
  });
  auto msgs = requests(4);
  std::vector<BatchAck> acks;
  ASSERT_TRUE(k.sock.requestBatch(msgs, acks).ok());
  for (const auto& a : acks) EXPECT_EQ(a.err, 0);
}

TEST(Batch, ATimeoutLeavesTheUnansweredMessagesMarkedAndStopsTheBatch) {
  BatchKernel k(
      [](int, const std::vector<Received>& msgs) {
        return std::vector<Datagram>{ack(msgs[0].hdr.nlmsg_seq, 0), ack(msgs[1].hdr.nlmsg_seq, -EEXIST)};
      },
      200);
  auto msgs = requests(6);
  BatchOptions opts;
  opts.maxMessages = 4;
  std::vector<BatchAck> acks;
  Status s = k.sock.requestBatch(msgs, acks, opts);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err, ETIMEDOUT);
  std::vector<int> errs;
  for (const auto& a : acks) errs.push_back(a.err);
  EXPECT_EQ(errs, (std::vector<int>{0, EEXIST, -1, -1, -1, -1}));
  for (const auto& m : msgs) EXPECT_TRUE(allZero(m.data(), m.size())) << "unsent requests are wiped too";
  k.stop();
  EXPECT_EQ(k.sends.size(), 1u);
}

TEST(RtnlRoutes, ChangeRoutesRemovesFirstThenAddsInOneSendAndAMissingRouteIsDone) {
  BatchKernel k([](int, const std::vector<Received>& msgs) {
    std::vector<Datagram> out;
    for (size_t j = 0; j < msgs.size(); j++) out.push_back(ack(msgs[j].hdr.nlmsg_seq, j == 0 || j == 2 ? -ESRCH : 0));
    return out;
  });
  Rtnl rt(std::move(k.sock));
  Status s = rt.changeRoutes(7, {v4(10, 9, 1, 24), v6(2, 64)}, {v4(10, 9, 0, 24), v6(1, 64), v4(10, 8, 0, 16)});
  ASSERT_TRUE(s.ok()) << s.error().message;
  k.stop();
  ASSERT_EQ(k.sends.size(), 1u);
  const auto& send = k.sends[0];
  ASSERT_EQ(send.size(), 5u);
  for (size_t j = 0; j < 5; j++) {
    const bool removal = j < 3;
    EXPECT_EQ(send[j].hdr.nlmsg_type, removal ? RTM_DELROUTE : RTM_NEWROUTE);
    EXPECT_EQ(send[j].hdr.nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE), removal ? 0 : NLM_F_CREATE | NLM_F_REPLACE);
    RouteSeen r = parseRoute(send[j]);
    EXPECT_EQ(r.rt.rtm_protocol, kRouteProtocol);
    EXPECT_EQ(r.rt.rtm_table, RT_TABLE_MAIN);
    EXPECT_EQ(r.oif, 7u);
  }
  RouteSeen added6 = parseRoute(send[4]);
  EXPECT_EQ(added6.rt.rtm_family, AF_INET6);
  EXPECT_EQ(added6.rt.rtm_dst_len, 64);
  ASSERT_EQ(added6.dst.size(), 16u);
  EXPECT_EQ(added6.dst[7], 2);
  RouteSeen removed4 = parseRoute(send[2]);
  EXPECT_EQ(removed4.dst, (std::vector<uint8_t>{10, 8, 0, 0}));
  EXPECT_EQ(removed4.rt.rtm_dst_len, 16);
}

TEST(RtnlRoutes, ChangeRoutesReportsTheFirstRealRefusalWithWhatWasApplied) {
  BatchKernel k([](int, const std::vector<Received>& msgs) {
    std::vector<Datagram> out;
    for (size_t j = 0; j < msgs.size(); j++) {
      int e = 0;
      if (j == 0) e = -ESRCH;                                 // a removal of a missing route: done
      if (j == 2) e = -ESRCH;                                 // ESRCH on an add is a refusal
      if (j == 3) e = -EINVAL;
      out.push_back(ack(msgs[j].hdr.nlmsg_seq, e, j == 2 ? "no such table" : ""));
    }
    return out;
  });
  Rtnl rt(std::move(k.sock));
  Status s = rt.changeRoutes(3, {v4(10, 1, 0, 24), v4(10, 2, 0, 24), v4(10, 3, 0, 24)}, {v4(10, 4, 0, 24)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err, ESRCH);
  EXPECT_EQ(s.error().message, "adding route 2 of 3");
  EXPECT_EQ(s.error().extack, "no such table");
  EXPECT_EQ(s.error().appliedMessages, 2u);  // the removal and the first add
}

TEST(RtnlRoutes, ChangeRoutesSaysENODEVWhenAnyMessageFoundNoLink) {
  // A stale index: the removals find nothing (ESRCH, or another refusal), the adds no device.
  BatchKernel k([](int, const std::vector<Received>& msgs) {
    std::vector<Datagram> out;
    for (size_t j = 0; j < msgs.size(); j++) out.push_back(ack(msgs[j].hdr.nlmsg_seq, j == 0 ? -EINVAL : j == 1 ? -ESRCH : -ENODEV));
    return out;
  });
  Rtnl rt(std::move(k.sock));
  Status s = rt.changeRoutes(99, {v4(10, 1, 0, 24)}, {v4(10, 2, 0, 24), v4(10, 3, 0, 24)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err, ENODEV);
}

TEST(RtnlRoutes, AnEmptyChangeSendsNothing) {
  BatchKernel k(ackAll);
  Rtnl rt(std::move(k.sock));
  EXPECT_TRUE(rt.changeRoutes(1, {}, {}).ok());
  k.stop();
  EXPECT_TRUE(k.sends.empty());
}

TEST(LinkEvents, DrainReadsWhatIsQueuedWithoutBlocking) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
  LinkEvents ev = LinkEvents::fromConnectedFd(UniqueFd(fds[0]));
  std::vector<LinkEvent> seen;
  auto collect = [&](const LinkEvent& e) { seen.push_back(e); };
  EXPECT_TRUE(ev.drain(collect)) << "nothing queued: returns at once";
  EXPECT_TRUE(seen.empty());
  for (const auto& d : {linkMessage(RTM_NEWLINK, 5, "lr0"), reply(RTM_NEWADDR, 0, 0, std::vector<uint8_t>(8)), join({linkMessage(RTM_DELLINK, 5, "lr0"), linkMessage(RTM_NEWLINK, 6, "lr0")})}) {
    ASSERT_EQ(::send(fds[1], d.data(), d.size(), 0), static_cast<ssize_t>(d.size()));
  }
  EXPECT_TRUE(ev.drain(collect));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].index, 5u);
  EXPECT_EQ(seen[0].name, "lr0");
  EXPECT_FALSE(seen[0].deleted);
  EXPECT_TRUE(seen[1].deleted);
  EXPECT_EQ(seen[2].index, 6u);
  ::close(fds[1]);
}

TEST(LinkEvents, AMalformedNotificationCountsAsLostNotifications) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
  LinkEvents ev = LinkEvents::fromConnectedFd(UniqueFd(fds[0]));
  Datagram shortLink = reply(RTM_NEWLINK, 0, 0, std::vector<uint8_t>(4));
  ASSERT_GT(::send(fds[1], shortLink.data(), shortLink.size(), 0), 0);
  EXPECT_FALSE(ev.drain([](const LinkEvent&) {}));
  EXPECT_TRUE(ev.drain([](const LinkEvent&) {})) << "and the next drain starts clean";
  ::close(fds[1]);
}

TEST(IfindexCache, ANotificationDropsExactlyTheEntriesItMakesStale) {
  using lanrage::binding::applyLinkEvent;
  using Cache = std::unordered_map<std::string, uint32_t>;
  const Cache start{{"lr0", 10}, {"lr1", 11}, {"lr2", 12}};
  auto after = [&](LinkEvent e) {
    Cache c = start;
    applyLinkEvent(c, e);
    return c;
  };
  EXPECT_EQ(after({10, "lr0", true}), (Cache{{"lr1", 11}, {"lr2", 12}})) << "deleted";
  EXPECT_EQ(after({10, "lr0", false}), start) << "a change of a link as cached (up, MTU)";
  EXPECT_EQ(after({10, "lr9", false}), (Cache{{"lr1", 11}, {"lr2", 12}})) << "renamed away";
  EXPECT_EQ(after({20, "lr1", false}), (Cache{{"lr0", 10}, {"lr2", 12}})) << "the name is on a new index (recreated)";
  EXPECT_EQ(after({9, "lr1", true}), start) << "the deletion of an older link of that name";
  EXPECT_EQ(after({30, "eth0", false}), start) << "another link";
  EXPECT_EQ(after({30, "eth0", true}), start) << "another link deleted";
}
