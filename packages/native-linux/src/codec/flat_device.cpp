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
  f.endpoints.resize(n * 20);
  f.keepalive.resize(n);
  f.handshakeSec.resize(n);
  f.handshakeNsec.resize(n);
  f.rxBytes.resize(n);
  f.txBytes.resize(n);
  f.protocolVersion.resize(n);
  f.allowedIpStart.resize(n + 1);
  f.allowedIps.resize(m * 18);
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    const nl::Peer& p = d.peers[i];
    std::memcpy(&f.keys[i * 32], p.publicKey.data(), 32);
    if (p.hasPresharedKey) {
      std::memcpy(&f.presharedKeys[i * 32], p.presharedKey.data(), 32);
      f.hasPresharedKey[i] = 1;
    }
    uint8_t* e = &f.endpoints[i * 20];
    e[0] = p.endpoint.family;
    e[2] = static_cast<uint8_t>(p.endpoint.port >> 8);
    e[3] = static_cast<uint8_t>(p.endpoint.port);
    std::memcpy(e + 4, p.endpoint.addr.data(), 16);
    f.keepalive[i] = p.keepalive;
    f.handshakeSec[i] = static_cast<double>(p.handshakeSec);
    f.handshakeNsec[i] = static_cast<double>(p.handshakeNsec);
    f.rxBytes[i] = p.rxBytes;
    f.txBytes[i] = p.txBytes;
    f.protocolVersion[i] = p.protocolVersion;
    f.allowedIpStart[i] = static_cast<uint32_t>(k);
    for (const auto& ip : p.allowedIps) {
      uint8_t* x = &f.allowedIps[k * 18];
      x[0] = ip.family;
      x[1] = ip.cidr;
      std::memcpy(x + 2, ip.addr.data(), 16);
      ++k;
    }
  }
  f.allowedIpStart[n] = static_cast<uint32_t>(k);
  return f;
}

}  // namespace lanrage::codec
