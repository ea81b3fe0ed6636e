#include "device_op_codec.hpp"

#include <string.h>

#include <cstring>

namespace lanrage::codec {

namespace {

uint32_t u32le(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }
uint16_t u16le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Zeroes every secret the buffer can hold, whatever state decoding stopped in.
void wipeSecrets(uint8_t* data, size_t len, size_t count) {
  if (len >= kOpHeaderBytes) ::explicit_bzero(data + 24, 32);
  for (size_t i = 0; i < count; ++i) {
    size_t at = kOpHeaderBytes + i * kOpPeerBytes + 32;
    if (at + 32 > len) break;
    ::explicit_bzero(data + at, 32);
  }
}

std::string decode(const uint8_t* data, size_t len, nl::DeviceOp& out, size_t& count) {
  if (len < kOpHeaderBytes) return "device op is shorter than its header";
  if (u32le(data) != kOpMagic) return "device op has the wrong magic (encoder and addon do not match)";
  count = u32le(data + 4);
  const size_t ipCount = u32le(data + 8);
  // Checked in 64-bit arithmetic: count and ipCount are at most 2^32-1 each.
  const uint64_t want = kOpHeaderBytes + static_cast<uint64_t>(count) * kOpPeerBytes + static_cast<uint64_t>(ipCount) * kOpIpBytes;
  if (want != len) return "device op length does not match its counts";
  const uint8_t dev = data[12];
  if (dev & ~(kDevReplacePeers | kDevListenPort | kDevFwmark | kDevPrivateKeySet | kDevPrivateKeyRemove)) return "unknown device flags";
  if ((dev & kDevPrivateKeySet) && (dev & kDevPrivateKeyRemove)) return "private key both set and removed";
  out.replacePeers = dev & kDevReplacePeers;
  if (dev & kDevListenPort) {
    uint32_t port = u32le(data + 16);
    if (port > 65535) return "listen port out of range";
    out.listenPort = static_cast<int32_t>(port);
  }
  if (dev & kDevFwmark) out.fwmark = u32le(data + 20);
  if (dev & kDevPrivateKeySet) {
    out.privateKey = nl::KeyChange::Set;
    std::memcpy(out.privateKeyValue.data(), data + 24, 32);
  } else if (dev & kDevPrivateKeyRemove) {
    out.privateKey = nl::KeyChange::Remove;
  }
  out.peers.resize(count);
  const uint8_t* ip = data + kOpHeaderBytes + count * kOpPeerBytes;
  size_t ipsLeft = ipCount;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* r = data + kOpHeaderBytes + i * kOpPeerBytes;
    nl::PeerOp& po = out.peers[i];
    const uint8_t f = r[84];
    if (f & 0x80) return "unknown peer flags";
    if ((f & kOpPskSet) && (f & kOpPskRemove)) return "preshared key both set and removed";
    std::memcpy(po.publicKey.data(), r, 32);
    po.remove = f & kOpRemove;
    po.updateOnly = f & kOpUpdateOnly;
    po.replaceAllowedIps = f & kOpReplaceAllowedIps;
    if (f & kOpPskSet) {
      po.presharedKey = nl::KeyChange::Set;
      std::memcpy(po.presharedKeyValue.data(), r + 32, 32);
    } else if (f & kOpPskRemove) {
      po.presharedKey = nl::KeyChange::Remove;
    }
    if (f & kOpEndpoint) {
      const uint8_t* e = r + 64;
      if (e[0] != 2 && e[0] != 10) return "endpoint family must be AF_INET or AF_INET6";
      po.endpoint.family = e[0];
      po.endpoint.port = static_cast<uint16_t>((e[2] << 8) | e[3]);
      std::memcpy(po.endpoint.addr.data(), e + 4, 16);
    }
    if (f & kOpKeepalive) po.keepalive = u16le(r + 86);
    const size_t n = u32le(r + 88);
    if (n > ipsLeft) return "peer ip counts exceed the op's ip count";
    ipsLeft -= n;
    po.allowedIps.resize(n);
    for (size_t k = 0; k < n; ++k, ip += kOpIpBytes) {
      nl::AllowedIp& a = po.allowedIps[k];
      a.family = ip[0];
      a.cidr = ip[1];
      if (!((a.family == 2 && a.cidr <= 32) || (a.family == 10 && a.cidr <= 128))) return "bad allowed IP family or prefix";
      if (ip[2] > 1) return "bad allowed IP remove flag";
      a.remove = ip[2] == 1;
      std::memcpy(a.addr.data(), ip + 3, 16);
    }
  }
  if (ipsLeft != 0) return "peer ip counts fall short of the op's ip count";
  return {};
}

}  // namespace

std::string decodeDeviceOp(uint8_t* data, size_t len, nl::DeviceOp& out) {
  size_t count = 0;
  std::string err = decode(data, len, out, count);
  wipeSecrets(data, len, count);
  return err;
}

void wipeDeviceOpSecrets(uint8_t* data, size_t len) { wipeSecrets(data, len, len >= kOpHeaderBytes ? u32le(data + 4) : 0); }

}  // namespace lanrage::codec
