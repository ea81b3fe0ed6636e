// SET packing and dump parsing: split peers (the kernel selftest's sizes), flags only where
// the UAPI allows them, coalescing on read, malformed replies refused.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

#include <set>

#include "netlink/wireguard.hpp"

using namespace lanrage::nl;

namespace {

Key keyN(uint32_t i, uint8_t tag = 0x4b) {
  Key k;
  k.fill(tag);
  k[0] = static_cast<uint8_t>(i);
  k[1] = static_cast<uint8_t>(i >> 8);
  k[2] = static_cast<uint8_t>(i >> 16);
  return k;
}

AllowedIp v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t cidr) {
  AllowedIp ip;
  ip.family = AF_INET;
  ip.addr[0] = a;
  ip.addr[1] = b;
  ip.addr[2] = c;
  ip.addr[3] = d;
  ip.cidr = cidr;
  return ip;
}

AllowedIp v6(uint16_t x, uint16_t y) {
  AllowedIp ip;
  ip.family = AF_INET6;
  ip.addr[0] = 0xab;
  ip.addr[1] = 0xcd;
  ip.addr[12] = static_cast<uint8_t>(x >> 8);
  ip.addr[13] = static_cast<uint8_t>(x);
  ip.addr[14] = static_cast<uint8_t>(y >> 8);
  ip.addr[15] = static_cast<uint8_t>(y);
  ip.cidr = 128;
  return ip;
}

// SET messages have the GET reply's layout, so the dump parser reads them back.
Device parseAll(const std::vector<MessageBuilder>& msgs) {
  DumpParser p;
  for (const auto& m : msgs) {
    auto bytes = m.finish();
    EXPECT_TRUE(p.feed(bytes.data() + NLMSG_HDRLEN, bytes.size() - NLMSG_HDRLEN).ok());
  }
  return p.take();
}

// Flags of every peer fragment, in order, and the device flags per message.
struct Seen {
  std::vector<uint32_t> deviceFlags;
  std::vector<std::pair<Key, uint32_t>> peerFlags;
};

Seen flagsOf(const std::vector<MessageBuilder>& msgs) {
  Seen s;
  for (const auto& m : msgs) {
    auto bytes = m.finish();
    AttrIterator it(bytes.data() + NLMSG_HDRLEN + GENL_HDRLEN, bytes.size() - NLMSG_HDRLEN - GENL_HDRLEN);
    Attr a;
    uint32_t df = 0;
    while (it.next(a)) {
      if (a.type == WGDEVICE_A_FLAGS) a.u32(df);
      if (a.type == WGDEVICE_A_PEERS) {
        AttrIterator peers(a.data, a.len);
        Attr p;
        while (peers.next(p)) {
          AttrIterator f(p.data, p.len);
          Attr x;
          Key k{};
          uint32_t flags = 0;
          while (f.next(x)) {
            if (x.type == WGPEER_A_PUBLIC_KEY) std::memcpy(k.data(), x.data, 32);
            if (x.type == WGPEER_A_FLAGS) x.u32(flags);
          }
          s.peerFlags.emplace_back(k, flags);
        }
      }
    }
    s.deviceFlags.push_back(df);
  }
  return s;
}

}  // namespace

// L3, L4, A7: one peer's 130,560 allowed IPs are split by bytes over many messages (device
// attributes in the first only), and the dump parser coalesces the adjacent same-key peers
// back to the exact count.
TEST(BuildSet, OnePeerWith130560AllowedIpsSplitsAndCoalesces) {
  DeviceOp op;
  op.ifname = "wg0";
  PeerOp p;
  p.publicKey = keyN(1);
  p.replaceAllowedIps = true;
  for (int i = 0; i < 255; i++)
    for (int j = 0; j < 256; j++) {
      p.allowedIps.push_back(v4(static_cast<uint8_t>(i), static_cast<uint8_t>(j), 0, 0, 32));
      p.allowedIps.push_back(v6(static_cast<uint16_t>(i), static_cast<uint16_t>(j)));
    }
  op.peers.push_back(p);
  std::vector<size_t> ends;
  auto built = buildSetMessages(21, op, 8192, &ends);
  ASSERT_TRUE(built.ok());
  auto& msgs = built.value();
  EXPECT_GT(msgs.size(), 100u);
  for (const auto& m : msgs) EXPECT_LE(m.size(), 8192u);
  Device d = parseAll(msgs);
  ASSERT_EQ(d.peers.size(), 1u);
  EXPECT_EQ(d.peers[0].allowedIps.size(), 130560u);
  // REPLACE_ALLOWEDIPS only in the first fragment
  Seen s = flagsOf(msgs);
  ASSERT_EQ(s.peerFlags.size(), msgs.size());
  EXPECT_EQ(s.peerFlags[0].second, static_cast<uint32_t>(WGPEER_F_REPLACE_ALLOWEDIPS));
  for (size_t i = 1; i < s.peerFlags.size(); i++) EXPECT_EQ(s.peerFlags[i].second, 0u);
  // the op completes only in the last message
  ASSERT_EQ(ends.size(), msgs.size());
  for (size_t m = 0; m + 1 < ends.size(); m++) EXPECT_EQ(ends[m], 0u);
  EXPECT_EQ(ends.back(), 1u);
}

// L4: a change larger than one message is split by bytes, REPLACE_PEERS in the first only.
TEST(BuildSet, ManyPeersPackGreedilyAndReplacePeersOnlyFirst) {
  DeviceOp op;
  op.ifname = "wg0";
  op.replacePeers = true;
  op.listenPort = 51820;
  for (uint32_t i = 0; i < 40; i++) {
    PeerOp p;
    p.publicKey = keyN(i);
    p.keepalive = 25;
    for (int j = 0; j < 52; j++) p.allowedIps.push_back(v4(10, static_cast<uint8_t>(i), static_cast<uint8_t>(j), 0, 24));
    op.peers.push_back(p);
  }
  std::vector<size_t> ends;
  auto built = buildSetMessages(21, op, 8192, &ends);
  ASSERT_TRUE(built.ok());
  Device d = parseAll(built.value());
  ASSERT_EQ(d.peers.size(), 40u);
  for (const auto& p : d.peers) EXPECT_EQ(p.allowedIps.size(), 52u);
  Seen s = flagsOf(built.value());
  EXPECT_EQ(s.deviceFlags[0], static_cast<uint32_t>(WGDEVICE_F_REPLACE_PEERS));
  for (size_t m = 1; m < s.deviceFlags.size(); m++) EXPECT_EQ(s.deviceFlags[m], 0u);
  // 40 x 52 IPs is ~70 KiB: about nine 8 KiB messages, not 40
  EXPECT_LE(built.value().size(), 10u);
  EXPECT_EQ(ends.back(), 40u);
  for (size_t m = 1; m < ends.size(); m++) EXPECT_GE(ends[m], ends[m - 1]);
}

// L3, L4: 10,000 peers through the packer and the parser, unchanged.
TEST(BuildSet, TenThousandPeersRoundTrip) {
  DeviceOp op;
  op.ifname = "wg0";
  for (uint32_t i = 0; i < 10000; i++) {
    PeerOp p;
    p.publicKey = keyN(i);
    p.presharedKey = KeyChange::Set;
    p.presharedKeyValue = keyN(i, 0x11);
    p.endpoint.family = i % 2 ? AF_INET : AF_INET6;
    p.endpoint.addr[0] = 192;
    p.endpoint.port = static_cast<uint16_t>(1000 + i);
    p.keepalive = static_cast<int32_t>(i % 100);
    p.allowedIps.push_back(v4(10, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 0, 24));
    op.peers.push_back(p);
  }
  auto built = buildSetMessages(21, op, 8192, nullptr);
  ASSERT_TRUE(built.ok());
  Device d = parseAll(built.value());
  ASSERT_EQ(d.peers.size(), 10000u);
  for (uint32_t i = 0; i < 10000; i++) {
    EXPECT_EQ(d.peers[i].publicKey, keyN(i));
    EXPECT_EQ(d.peers[i].presharedKey, keyN(i, 0x11));
    EXPECT_EQ(d.peers[i].endpoint.port, 1000 + i);
    EXPECT_EQ(d.peers[i].keepalive, i % 100);
    EXPECT_EQ(d.peers[i].allowedIps.size(), 1u);
  }
}

TEST(BuildSet, UpdateOnlySurvivesContinuationFragments) {
  DeviceOp op;
  op.ifname = "wg0";
  PeerOp p;
  p.publicKey = keyN(3);
  p.updateOnly = true;
  for (int i = 0; i < 2000; i++) p.allowedIps.push_back(v4(10, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 0, 24));
  op.peers.push_back(p);
  auto built = buildSetMessages(21, op, 4096, nullptr);
  ASSERT_TRUE(built.ok());
  Seen s = flagsOf(built.value());
  ASSERT_GT(s.peerFlags.size(), 1u);
  for (auto& f : s.peerFlags) EXPECT_EQ(f.second, static_cast<uint32_t>(WGPEER_F_UPDATE_ONLY));
}

TEST(BuildSet, TinyCapacityIsAnErrorNotALoop) {
  DeviceOp op;
  op.ifname = "wg0";
  PeerOp p;
  p.publicKey = keyN(1);
  p.allowedIps.push_back(v4(10, 0, 0, 0, 8));
  op.peers.push_back(p);
  for (size_t cap : {100u, 150u, 200u, 210u, 220u, 240u}) {
    auto built = buildSetMessages(21, op, cap, nullptr);
    if (built.ok()) {
      EXPECT_LE(built.value().size(), 2u);
      EXPECT_EQ(parseAll(built.value()).peers.size(), 1u);
    } else {
      EXPECT_EQ(built.error().err, EMSGSIZE);
    }
  }
}

TEST(BuildSet, RefusesAllZeroKeysUnlessRemovalIsExplicit) {
  DeviceOp op;
  op.ifname = "wg0";
  op.privateKey = KeyChange::Set;  // value left all-zero
  EXPECT_FALSE(buildSetMessages(21, op, 8192, nullptr).ok());
  op.privateKey = KeyChange::Remove;
  EXPECT_TRUE(buildSetMessages(21, op, 8192, nullptr).ok());
  DeviceOp op2;
  op2.ifname = "wg0";
  PeerOp p;
  p.publicKey = keyN(1);
  p.presharedKey = KeyChange::Set;
  op2.peers.push_back(p);
  EXPECT_FALSE(buildSetMessages(21, op2, 8192, nullptr).ok());
}

TEST(DumpParser, RefusesMalformedPeersAndIgnoresBadEndpoints) {
  auto build = [](auto fill) {
    MessageBuilder mb(4096, 21, 0);
    struct genlmsghdr g {};
    mb.putHeader(&g, sizeof g);
    {
      NestGuard peers(mb, WGDEVICE_A_PEERS);
      NestGuard peer(mb, 0);
      fill(mb);
    }
    return mb.finish();
  };
  auto feed = [](const std::vector<uint8_t>& b) {
    DumpParser p;
    auto s = p.feed(b.data() + NLMSG_HDRLEN, b.size() - NLMSG_HDRLEN);
    return std::make_pair(s.ok(), p.take());
  };
  Key k = keyN(9);
  // L11: a peer without a key is an error
  EXPECT_FALSE(feed(build([](MessageBuilder& mb) { mb.putU16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 5); })).first);
  // an endpoint of the wrong length is ignored
  auto r = feed(build([&](MessageBuilder& mb) {
    mb.put(WGPEER_A_PUBLIC_KEY, k.data(), 32);
    uint8_t junk[7] = {};
    mb.put(WGPEER_A_ENDPOINT, junk, sizeof junk);
  }));
  EXPECT_TRUE(r.first);
  ASSERT_EQ(r.second.peers.size(), 1u);
  EXPECT_EQ(r.second.peers[0].endpoint.family, 0);
  // a v4 CIDR of 40 is an error
  auto badCidr = build([&](MessageBuilder& mb) {
    mb.put(WGPEER_A_PUBLIC_KEY, k.data(), 32);
    NestGuard ips(mb, WGPEER_A_ALLOWEDIPS);
    NestGuard ip(mb, 0);
    mb.putU16(WGALLOWEDIP_A_FAMILY, AF_INET);
    uint8_t a[4] = {10, 0, 0, 0};
    mb.put(WGALLOWEDIP_A_IPADDR, a, 4);
    mb.putU8(WGALLOWEDIP_A_CIDR_MASK, 40);
  });
  EXPECT_FALSE(feed(badCidr).first);
  // a key of the wrong length does not count as a key
  EXPECT_FALSE(feed(build([&](MessageBuilder& mb) { mb.put(WGPEER_A_PUBLIC_KEY, k.data(), 31); })).first);
}

// Golden bytes: the exact SET message for one device attribute and one peer with one prefix,
// written out by hand from the UAPI header (little-endian host).
TEST(BuildSet, GoldenBytes) {
  DeviceOp op;
  op.ifname = "wg0";
  op.listenPort = 51820;
  PeerOp p;
  p.publicKey.fill(0x01);
  p.allowedIps.push_back(v4(10, 0, 0, 0, 8));
  op.peers.push_back(p);
  auto built = buildSetMessages(0x15, op, 8192, nullptr);
  ASSERT_TRUE(built.ok());
  ASSERT_EQ(built.value().size(), 1u);
  auto bytes = built.value()[0].finish();
  std::vector<uint8_t> want = {
      112, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // nlmsghdr: len 112, type 0x15 (flags/seq added when sent)
      1, 1, 0, 0,                                           // genlmsghdr: WG_CMD_SET_DEVICE, version 1
      8, 0, 2, 0, 'w', 'g', '0', 0,                         // WGDEVICE_A_IFNAME "wg0"
      6, 0, 6, 0, 0x6c, 0xca, 0, 0,                         // WGDEVICE_A_LISTEN_PORT 51820 (+2 padding)
      76, 0, 0x08, 0x80,                                    // WGDEVICE_A_PEERS | NLA_F_NESTED
      72, 0, 0x00, 0x80,                                    //   peer 0 | NLA_F_NESTED
      36, 0, 1, 0,                                          //     WGPEER_A_PUBLIC_KEY
  };
  want.insert(want.end(), 32, 0x01);
  std::vector<uint8_t> tail = {
      32, 0, 0x09, 0x80,             //     WGPEER_A_ALLOWEDIPS | NLA_F_NESTED
      28, 0, 0x00, 0x80,             //       allowed IP 0 | NLA_F_NESTED
      6, 0, 1, 0, 2, 0, 0, 0,        //         WGALLOWEDIP_A_FAMILY AF_INET
      8, 0, 2, 0, 10, 0, 0, 0,       //         WGALLOWEDIP_A_IPADDR 10.0.0.0 (4 bytes, A8)
      5, 0, 3, 0, 8, 0, 0, 0,        //         WGALLOWEDIP_A_CIDR_MASK 8
  };
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(bytes, want);
}

// P6: a Peer (and a PeerOp) takes its preshared key with it wherever it goes, including the
// moved-from elements a growing vector frees while a dump is parsed. Checked on storage the
// test owns: construct, destroy, then read the bytes the object occupied.
template <typename T, typename KeyOf>
static bool keyBytesSurviveDestruction(KeyOf keyOf) {
  alignas(T) unsigned char storage[sizeof(T)];
  T* obj = new (storage) T();
  Key& key = keyOf(*obj);
  key.fill(0xA5);
  const size_t offset = reinterpret_cast<unsigned char*>(key.data()) - storage;
  obj->~T();
  for (size_t i = 0; i < key.size(); i++)
    if (storage[offset + i] == 0xA5) return true;
  return false;
}

TEST(Secrets, PeerAndPeerOpWipeTheirPresharedKeyWhenDestroyed) {
  EXPECT_FALSE(keyBytesSurviveDestruction<Peer>([](Peer& p) -> Key& { return p.presharedKey; }));
  EXPECT_FALSE(keyBytesSurviveDestruction<PeerOp>([](PeerOp& p) -> Key& { return p.presharedKeyValue; }));
  // A growing vector moves its peers and destroys the old ones: each of those wipes too.
  static_assert(std::is_nothrow_move_constructible_v<Peer>, "vector<Peer> must move, not copy, when it grows");
  static_assert(std::is_nothrow_move_constructible_v<PeerOp>, "vector<PeerOp> must move, not copy, when it grows");
}
