// The device-op codec: the golden bytes the TS encoder writes (test/fixtures/device-op.hex)
// decode field by field; malformed ops are refused with a reason; secrets are always wiped.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "codec/device_op_codec.hpp"
#include "codec/flat_device.hpp"

using namespace lanrage;
using namespace lanrage::codec;

namespace {

std::vector<uint8_t> fixture() {
  std::ifstream in(LANRAGE_FIXTURES "/device-op.hex");
  EXPECT_TRUE(in.good());
  std::string line, hex;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') hex += line;
  }
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

nl::Key filled(uint8_t b) {
  nl::Key k;
  k.fill(b);
  return k;
}

bool allZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

void putU32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

TEST(DeviceOpCodec, DecodesTheGoldenBytesFieldByField) {
  auto bytes = fixture();
  ASSERT_EQ(bytes.size(), 389u);
  nl::DeviceOp op;
  ASSERT_EQ(decodeDeviceOp(bytes.data(), bytes.size(), op), "");
  EXPECT_TRUE(op.replacePeers);
  EXPECT_EQ(op.listenPort, 51820);
  EXPECT_EQ(op.fwmark, 0x1234);
  EXPECT_EQ(op.privateKey, nl::KeyChange::Set);
  EXPECT_EQ(op.privateKeyValue, filled(0x11));
  ASSERT_EQ(op.peers.size(), 3u);

  const auto& a = op.peers[0];
  EXPECT_EQ(a.publicKey, filled(0x21));
  EXPECT_FALSE(a.remove);
  EXPECT_FALSE(a.updateOnly);
  EXPECT_TRUE(a.replaceAllowedIps);
  EXPECT_EQ(a.presharedKey, nl::KeyChange::Set);
  EXPECT_EQ(a.presharedKeyValue, filled(0x31));
  EXPECT_EQ(a.endpoint.family, 2);
  EXPECT_EQ(a.endpoint.port, 51820);
  EXPECT_EQ(a.endpoint.addr[0], 192);
  EXPECT_EQ(a.endpoint.addr[3], 1);
  EXPECT_EQ(a.keepalive, 25);
  ASSERT_EQ(a.allowedIps.size(), 2u);
  EXPECT_EQ(a.allowedIps[0].family, 2);
  EXPECT_EQ(a.allowedIps[0].cidr, 24);
  EXPECT_EQ(a.allowedIps[0].addr[0], 10);
  EXPECT_FALSE(a.allowedIps[0].remove);
  EXPECT_EQ(a.allowedIps[1].family, 10);
  EXPECT_EQ(a.allowedIps[1].cidr, 128);
  EXPECT_EQ(a.allowedIps[1].addr[0], 0xfd);
  EXPECT_EQ(a.allowedIps[1].addr[15], 1);

  const auto& b = op.peers[1];
  EXPECT_EQ(b.publicKey, filled(0x22));
  EXPECT_TRUE(b.remove);
  EXPECT_EQ(b.presharedKey, nl::KeyChange::Unchanged);
  EXPECT_EQ(b.endpoint.family, 0);
  EXPECT_EQ(b.keepalive, -1);
  EXPECT_TRUE(b.allowedIps.empty());

  const auto& c = op.peers[2];
  EXPECT_EQ(c.publicKey, filled(0x23));
  EXPECT_TRUE(c.updateOnly);
  EXPECT_FALSE(c.replaceAllowedIps);
  EXPECT_EQ(c.presharedKey, nl::KeyChange::Remove);
  EXPECT_EQ(c.endpoint.family, 10);
  EXPECT_EQ(c.endpoint.port, 443);
  EXPECT_EQ(c.endpoint.addr[0], 0x20);
  EXPECT_EQ(c.endpoint.addr[1], 0x01);
  EXPECT_EQ(c.keepalive, -1);
  ASSERT_EQ(c.allowedIps.size(), 1u);
  EXPECT_TRUE(c.allowedIps[0].remove);
  EXPECT_EQ(c.allowedIps[0].cidr, 16);
}

TEST(DeviceOpCodec, WipesEverySecretOnceCopied) {
  auto bytes = fixture();
  nl::DeviceOp op;
  ASSERT_EQ(decodeDeviceOp(bytes.data(), bytes.size(), op), "");
  EXPECT_TRUE(allZero(bytes.data() + 24, 32));                               // private key
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(allZero(bytes.data() + 56 + i * 92 + 32, 32));  // preshared keys
  EXPECT_EQ(bytes[56], 0x21);  // public keys stay
}

TEST(DeviceOpCodec, WipesSecretsEvenWhenRefusing) {
  auto bytes = fixture();
  bytes[56 + 84] |= 0x80;  // unknown flag on the first peer, after its key was readable
  nl::DeviceOp op;
  EXPECT_EQ(decodeDeviceOp(bytes.data(), bytes.size(), op), "unknown peer flags");
  EXPECT_TRUE(allZero(bytes.data() + 24, 32));
  EXPECT_TRUE(allZero(bytes.data() + 56 + 32, 32));

  auto other = fixture();
  wipeDeviceOpSecrets(other.data(), other.size());
  EXPECT_TRUE(allZero(other.data() + 24, 32));
  EXPECT_TRUE(allZero(other.data() + 56 + 32, 32));
}

TEST(DeviceOpCodec, RefusesMalformedOpsWithAReason) {
  struct Case {
    const char* why;
    void (*mutate)(std::vector<uint8_t>&);
  };
  const Case cases[] = {
      {"device op has the wrong magic (encoder and addon do not match)", [](std::vector<uint8_t>& b) { b[0] ^= 1; }},
      {"device op length does not match its counts", [](std::vector<uint8_t>& b) { b.pop_back(); }},
      {"device op length does not match its counts", [](std::vector<uint8_t>& b) { putU32(b, 4, 0xffffffffu); }},
      {"device op length does not match its counts", [](std::vector<uint8_t>& b) { putU32(b, 8, 0xffffffffu); }},
      {"unknown device flags", [](std::vector<uint8_t>& b) { b[12] |= 0x40; }},
      {"private key both set and removed", [](std::vector<uint8_t>& b) { b[12] |= 16; }},
      {"listen port out of range", [](std::vector<uint8_t>& b) { putU32(b, 16, 65536); }},
      {"preshared key both set and removed", [](std::vector<uint8_t>& b) { b[56 + 84] |= 16; }},
      {"endpoint family must be AF_INET or AF_INET6", [](std::vector<uint8_t>& b) { b[56 + 64] = 7; }},
      {"peer ip counts exceed the op's ip count", [](std::vector<uint8_t>& b) { putU32(b, 56 + 88, 4); }},
      {"peer ip counts fall short of the op's ip count", [](std::vector<uint8_t>& b) { putU32(b, 56 + 92 * 2 + 88, 0); }},
      {"bad allowed IP family or prefix", [](std::vector<uint8_t>& b) { b[56 + 92 * 3 + 1] = 33; }},
      {"bad allowed IP family or prefix", [](std::vector<uint8_t>& b) { b[56 + 92 * 3] = 3; }},
      {"bad allowed IP remove flag", [](std::vector<uint8_t>& b) { b[56 + 92 * 3 + 2] = 2; }},
  };
  for (const auto& c : cases) {
    auto bytes = fixture();
    c.mutate(bytes);
    nl::DeviceOp op;
    EXPECT_EQ(decodeDeviceOp(bytes.data(), bytes.size(), op), c.why);
  }
  nl::DeviceOp op;
  uint8_t tiny[8] = {};
  EXPECT_EQ(decodeDeviceOp(tiny, sizeof tiny, op), "device op is shorter than its header");
  EXPECT_EQ(decodeDeviceOp(nullptr, 0, op), "device op is shorter than its header");
}

TEST(FlatDevice, FlattensPeersAndPrefixesInOrder) {
  nl::Device d;
  d.ifindex = 7;
  d.ifname = "wg0";
  d.hasPrivateKey = true;
  d.privateKey = filled(0x11);
  for (int i = 0; i < 3; ++i) {
    nl::Peer p;
    p.publicKey = filled(static_cast<uint8_t>(0x40 + i));
    p.hasPresharedKey = i == 1;
    p.presharedKey = filled(0x55);
    p.endpoint.family = 2;
    p.endpoint.port = 51820;
    p.keepalive = static_cast<uint16_t>(i);
    p.rxBytes = 1000u + i;
    p.txBytes = (uint64_t{1} << 40) + i;
    p.handshakeSec = 1700000000 + i;
    for (int k = 0; k < i; ++k) {
      nl::AllowedIp ip;
      ip.family = 2;
      ip.cidr = static_cast<uint8_t>(24 + k);
      ip.addr[0] = 10;
      ip.addr[1] = static_cast<uint8_t>(i);
      p.allowedIps.push_back(ip);
    }
    d.peers.push_back(p);
  }
  FlatDevice f = flatten(std::move(d));
  EXPECT_EQ(f.count, 3u);
  EXPECT_EQ(f.ifname, "wg0");
  EXPECT_EQ(f.keys[32 * 2], 0x42);
  EXPECT_EQ(f.hasPresharedKey, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_TRUE(allZero(f.presharedKeys.data(), 32));
  EXPECT_EQ(f.presharedKeys[32], 0x55);
  EXPECT_EQ(f.endpoints[20 * 1 + 2], 0xca);
  EXPECT_EQ(f.endpoints[20 * 1 + 3], 0x6c);
  EXPECT_EQ(f.allowedIpStart, (std::vector<uint32_t>{0, 0, 1, 3}));
  EXPECT_EQ(f.allowedIps.size(), 3u * 18);
  EXPECT_EQ(f.allowedIps[18 * 2 + 1], 25);  // peer 2's second prefix
  EXPECT_EQ(f.allowedIps[18 * 2 + 3], 2);
  EXPECT_EQ(f.txBytes[2], (uint64_t{1} << 40) + 2);
  EXPECT_EQ(f.handshakeSec[1], 1700000001.0);
}
