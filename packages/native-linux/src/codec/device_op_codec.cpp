#include "device_op_codec.hpp"

#include <string.h>

#include <cstring>

namespace lanrage::codec {

namespace {

using namespace wire;
namespace hdr = wire::op_header;
namespace peer = wire::op_peer;
namespace ipf = wire::op_ip;

uint32_t u32le(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }
uint16_t u16le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Zeroes every secret the buffer can hold, whatever state decoding stopped in.
void wipeSecrets(uint8_t* data, size_t len, size_t count) {
  if (len >= kOpHeaderBytes) ::explicit_bzero(data + hdr::kPrivateKey, 32);
  for (size_t i = 0; i < count; ++i) {
    size_t at = kOpHeaderBytes + i * kOpPeerBytes + peer::kPresharedKey;
    if (at + 32 > len) break;
    ::explicit_bzero(data + at, 32);
  }
}

std::string decode(const uint8_t* data, size_t len, nl::DeviceOp& out, size_t& count) {
  if (len < kOpHeaderBytes) return "device op is shorter than its header";
  if (u32le(data + hdr::kMagic) != kOpMagic) return "device op has the wrong magic (encoder and addon do not match)";
  count = u32le(data + hdr::kCount);
  const size_t ipCount = u32le(data + hdr::kIpCount);
  // Checked in 64-bit arithmetic: count and ipCount are at most 2^32-1 each.
  const uint64_t want = kOpHeaderBytes + static_cast<uint64_t>(count) * kOpPeerBytes + static_cast<uint64_t>(ipCount) * kOpIpBytes;
  if (want != len) return "device op length does not match its counts";
  const uint8_t dev = data[hdr::kDeviceFlags];
  if (dev & ~kDevAll) return "unknown device flags";
  if ((dev & kDevPrivateKeySet) && (dev & kDevPrivateKeyRemove)) return "private key both set and removed";
  out.replacePeers = dev & kDevReplacePeers;
  if (dev & kDevListenPort) {
    uint32_t port = u32le(data + hdr::kListenPort);
    if (port > 65535) return "listen port out of range";
    out.listenPort = static_cast<int32_t>(port);
  }
  if (dev & kDevFwmark) out.fwmark = u32le(data + hdr::kFwmark);
  if (dev & kDevPrivateKeySet) {
    out.privateKey = nl::KeyChange::Set;
    std::memcpy(out.privateKeyValue.data(), data + hdr::kPrivateKey, 32);
  } else if (dev & kDevPrivateKeyRemove) {
    out.privateKey = nl::KeyChange::Remove;
  }
  out.peers.resize(count);
  const uint8_t* ip = data + kOpHeaderBytes + count * kOpPeerBytes;
  size_t ipsLeft = ipCount;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* r = data + kOpHeaderBytes + i * kOpPeerBytes;
    nl::PeerOp& po = out.peers[i];
    const uint8_t f = r[peer::kFlags];
    if (f & ~kOpAll) return "unknown peer flags";
    if ((f & kOpPskSet) && (f & kOpPskRemove)) return "preshared key both set and removed";
    std::memcpy(po.publicKey.data(), r + peer::kPublicKey, 32);
    po.remove = f & kOpRemove;
    po.updateOnly = f & kOpUpdateOnly;
    po.replaceAllowedIps = f & kOpReplaceAllowedIps;
    if (f & kOpPskSet) {
      po.presharedKey = nl::KeyChange::Set;
      std::memcpy(po.presharedKeyValue.data(), r + peer::kPresharedKey, 32);
    } else if (f & kOpPskRemove) {
      po.presharedKey = nl::KeyChange::Remove;
    }
    if (f & kOpEndpoint) {
      const uint8_t* e = r + peer::kEndpoint;
      const uint8_t family = e[endpoint::kFamily];
      if (family != kAfInet && family != kAfInet6) return "endpoint family must be AF_INET or AF_INET6";
      po.endpoint.family = family;
      po.endpoint.port = static_cast<uint16_t>((e[endpoint::kPortBE] << 8) | e[endpoint::kPortBE + 1]);
      std::memcpy(po.endpoint.addr.data(), e + endpoint::kAddress, 16);
    }
    if (f & kOpKeepalive) po.keepalive = u16le(r + peer::kKeepalive);
    const size_t n = u32le(r + peer::kIpCount);
    if (n > ipsLeft) return "peer ip counts exceed the op's ip count";
    ipsLeft -= n;
    po.allowedIps.resize(n);
    for (size_t k = 0; k < n; ++k, ip += kOpIpBytes) {
      nl::AllowedIp& a = po.allowedIps[k];
      a.family = ip[ipf::kFamily];
      a.cidr = ip[ipf::kPrefix];
      if (!((a.family == kAfInet && a.cidr <= 32) || (a.family == kAfInet6 && a.cidr <= 128))) return "bad allowed IP family or prefix";
      if (ip[ipf::kRemove] > 1) return "bad allowed IP remove flag";
      a.remove = ip[ipf::kRemove] == 1;
      std::memcpy(a.addr.data(), ip + ipf::kAddress, 16);
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

void wipeDeviceOpSecrets(uint8_t* data, size_t len) { wipeSecrets(data, len, len >= kOpHeaderBytes ? u32le(data + wire::op_header::kCount) : 0); }

}  // namespace lanrage::codec
