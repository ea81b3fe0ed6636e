#include "flat_device.hpp"

#include <string.h>

#include <cstring>
#include <utility>

namespace lanrage::codec {

FlatDevice::~FlatDevice() {
  ::explicit_bzero(privateKey.data(), privateKey.size());
  if (!presharedKeys.empty()) ::explicit_bzero(presharedKeys.data(), presharedKeys.size());
}

FlatDevice flatten(nl::Device&& src) {
  nl::Device d = std::move(src);  // its destructor wipes the keys when this returns
  FlatDevice f;
  const size_t n = d.peers.size();
  size_t m = 0;
  for (const auto& p : d.peers) m += p.allowedIps.size();
  f.ifindex = d.ifindex;
  f.ifname = d.ifname;
  f.hasPrivateKey = d.hasPrivateKey;
  f.privateKey = d.privateKey;
  f.hasPublicKey = d.hasPublicKey;
  f.publicKey = d.publicKey;
  f.listenPort = d.listenPort;
  f.fwmark = d.fwmark;
  f.count = n;
  f.keys.resize(n * 32);
  f.presharedKeys.resize(n * 32);
  f.hasPresharedKey.resize(n);
  f.endpoints.resize(n * wire::endpoint::kBytes);
  f.keepalive.resize(n);
  f.handshakeSec.resize(n);
  f.handshakeNsec.resize(n);
  f.rxBytes.resize(n);
  f.txBytes.resize(n);
  f.protocolVersion.resize(n);
  f.allowedIpStart.resize(n + 1);
  f.allowedIps.resize(m * wire::flat_prefix::kBytes);
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    const nl::Peer& p = d.peers[i];
    std::memcpy(&f.keys[i * 32], p.publicKey.data(), 32);
    if (p.hasPresharedKey) {
      std::memcpy(&f.presharedKeys[i * 32], p.presharedKey.data(), 32);
      f.hasPresharedKey[i] = 1;
    }
    uint8_t* e = &f.endpoints[i * wire::endpoint::kBytes];
    e[wire::endpoint::kFamily] = p.endpoint.family;
    e[wire::endpoint::kPortBE] = static_cast<uint8_t>(p.endpoint.port >> 8);
    e[wire::endpoint::kPortBE + 1] = static_cast<uint8_t>(p.endpoint.port);
    std::memcpy(e + wire::endpoint::kAddress, p.endpoint.addr.data(), 16);
    f.keepalive[i] = p.keepalive;
    f.handshakeSec[i] = static_cast<double>(p.handshakeSec);
    f.handshakeNsec[i] = static_cast<double>(p.handshakeNsec);
    f.rxBytes[i] = p.rxBytes;
    f.txBytes[i] = p.txBytes;
    f.protocolVersion[i] = p.protocolVersion;
    f.allowedIpStart[i] = static_cast<uint32_t>(k);
    for (const auto& ip : p.allowedIps) {
      uint8_t* x = &f.allowedIps[k * wire::flat_prefix::kBytes];
      x[wire::flat_prefix::kFamily] = ip.family;
      x[wire::flat_prefix::kPrefix] = ip.cidr;
      std::memcpy(x + wire::flat_prefix::kAddress, ip.addr.data(), 16);
      ++k;
    }
  }
  f.allowedIpStart[n] = static_cast<uint32_t>(k);
  return f;
}

}  // namespace lanrage::codec
