#pragma once
// The one-buffer form of a device change that the JS side writes (src/encode-op.ts) and the
// addon decodes: one typed array per call instead of an object per peer, so a churn operation
// costs one N-API call to read. Little-endian, no padding assumptions; every length is checked.
//
//   header (56 bytes)  u32 magic "LRO1" | u32 count | u32 ipCount | u8 deviceFlags | 3 pad
//                      | u32 listenPort | u32 fwmark | 32 private key
//   peer   (92 bytes)  32 public key | 32 preshared key | 20 endpoint (family, 0, port BE,
//   × count            16 address) | u8 flags (kOp*) | 1 pad | u16 keepalive | u32 ip count
//   ip     (19 bytes)  family | prefix length | remove | 16 address
//   × ipCount          (in peer order)
#include <cstddef>
#include <cstdint>
#include <string>

#include "../netlink/wireguard.hpp"

namespace lanrage::codec {

constexpr uint32_t kOpMagic = 0x314f524c;  // "LRO1"
constexpr size_t kOpHeaderBytes = 56;
constexpr size_t kOpPeerBytes = 92;
constexpr size_t kOpIpBytes = 19;

// deviceFlags
constexpr uint8_t kDevReplacePeers = 1;
constexpr uint8_t kDevListenPort = 2;
constexpr uint8_t kDevFwmark = 4;
constexpr uint8_t kDevPrivateKeySet = 8;
constexpr uint8_t kDevPrivateKeyRemove = 16;

// per-peer flags (the same bits as OP_* in src/native.ts)
constexpr uint8_t kOpRemove = 1;
constexpr uint8_t kOpUpdateOnly = 2;
constexpr uint8_t kOpReplaceAllowedIps = 4;
constexpr uint8_t kOpPskSet = 8;
constexpr uint8_t kOpPskRemove = 16;
constexpr uint8_t kOpEndpoint = 32;
constexpr uint8_t kOpKeepalive = 64;

// Decodes `len` bytes into `out` (ifname untouched). Returns "" on success, else what is wrong.
// Secret bytes (private and preshared keys) in `data` are zeroed once copied, on success or not.
std::string decodeDeviceOp(uint8_t* data, size_t len, nl::DeviceOp& out);

// Zeroes every secret-key field the bytes can hold (the header's count bounds the peers).
void wipeDeviceOpSecrets(uint8_t* data, size_t len);

}  // namespace lanrage::codec
