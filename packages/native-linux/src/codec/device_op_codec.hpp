#pragma once
// The one-buffer form of a device change that the JS side writes (src/encode-op.ts) and the
// addon decodes: one typed array per call instead of an object per peer, so a churn operation
// costs one N-API call to read. Little-endian, no padding assumptions; every length is checked.
//
//   header             OpHeader (magic "LRO1", counts, device flags, port, fwmark, private key)
//   peer × count       OpPeer (keys, Endpoint, flags, keepalive, its prefix count)
//   ip × ipCount       OpIp (family, prefix length, remove, address), in peer order
// Field lists, offsets and flag bits: wire-format.json (wire_format.generated.hpp here,
// src/wire-format.generated.ts for the encoder).
#include <cstddef>
#include <cstdint>
#include <string>

#include "../netlink/wireguard.hpp"
#include "wire_format.generated.hpp"

namespace lanrage::codec {

// The layout and flag bits come from the one schema (wire-format.json, generated header).
constexpr uint32_t kOpMagic = wire::kOpMagic;
constexpr size_t kOpHeaderBytes = wire::op_header::kBytes;
constexpr size_t kOpPeerBytes = wire::op_peer::kBytes;
constexpr size_t kOpIpBytes = wire::op_ip::kBytes;

// Decodes `len` bytes into `out` (ifname untouched). Returns "" on success, else what is wrong.
// Secret bytes (private and preshared keys) in `data` are zeroed once copied, on success or not.
std::string decodeDeviceOp(uint8_t* data, size_t len, nl::DeviceOp& out);

// Zeroes every secret-key field the bytes can hold (the header's count bounds the peers).
void wipeDeviceOpSecrets(uint8_t* data, size_t len);

}  // namespace lanrage::codec
