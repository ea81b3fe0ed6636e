#pragma once
// The flat form of a device that the JS side reads (NativeDevice in src/native.ts): a few
// arrays indexed by peer instead of an object per peer and per prefix. Built on the I/O
// thread, so the JS thread only copies finished arrays into typed arrays.
#include <cstdint>
#include <string>
#include <vector>

#include "../netlink/wireguard.hpp"
#include "wire_format.generated.hpp"

namespace lanrage::codec {

struct FlatDevice {
  uint32_t ifindex = 0;
  std::string ifname;
  bool hasPrivateKey = false;
  nl::Key privateKey{};
  bool hasPublicKey = false;
  nl::Key publicKey{};
  uint16_t listenPort = 0;
  uint32_t fwmark = 0;
  size_t count = 0;
  std::vector<uint8_t> keys;             // 32 per peer
  std::vector<uint8_t> presharedKeys;    // 32 per peer (zeroed when absent)
  std::vector<uint8_t> hasPresharedKey;  // 1 per peer
  std::vector<uint8_t> endpoints;        // wire::endpoint::kBytes per peer (wire-format.json: Endpoint)
  std::vector<uint16_t> keepalive;
  std::vector<double> handshakeSec;
  std::vector<double> handshakeNsec;
  std::vector<uint64_t> rxBytes;
  std::vector<uint64_t> txBytes;
  std::vector<uint32_t> protocolVersion;
  std::vector<uint32_t> allowedIpStart;  // count + 1 offsets into allowedIps
  std::vector<uint8_t> allowedIps;       // wire::flat_prefix::kBytes per prefix (wire-format.json: FlatPrefix)

  FlatDevice() = default;
  FlatDevice(FlatDevice&&) noexcept = default;
  FlatDevice& operator=(FlatDevice&&) noexcept = default;
  ~FlatDevice();  // wipes the secret keys
};

// Flattens `d`, wiping the secret keys it held.
FlatDevice flatten(nl::Device&& d);

}  // namespace lanrage::codec
