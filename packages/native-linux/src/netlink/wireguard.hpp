#pragma once
// WireGuard over generic netlink: the device dump (peers split across messages coalesced in
// O(n), restarted on NLM_F_DUMP_INTR) and SET packing (any number of peer operations packed
// greedily into as few messages as fit, split mid-peer when allowed IPs overflow).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "error.hpp"
#include "message.hpp"
#include "socket.hpp"

namespace lanrage::nl {

using Key = std::array<uint8_t, 32>;

// Newer kernels: removal of one allowed IP. Defined here when the system header lacks it.
constexpr uint16_t kAllowedIpAttrFlags = 4;      // WGALLOWEDIP_A_FLAGS
constexpr uint32_t kAllowedIpFlagRemoveMe = 1;   // WGALLOWEDIP_F_REMOVE_ME

struct AllowedIp {
  uint8_t family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};
  uint8_t cidr = 0;
  bool remove = false;
  bool operator==(const AllowedIp& o) const { return family == o.family && addr == o.addr && cidr == o.cidr && remove == o.remove; }
};

struct Endpoint {
  uint8_t family = 0;  // 0 = none/unchanged
  std::array<uint8_t, 16> addr{};
  uint16_t port = 0;
  uint32_t flowinfo = 0;
  uint32_t scopeId = 0;
};

struct Peer {
  Key publicKey{};
  bool hasPresharedKey = false;
  Key presharedKey{};
  Endpoint endpoint;
  uint16_t keepalive = 0;
  int64_t handshakeSec = 0;
  int64_t handshakeNsec = 0;
  uint64_t rxBytes = 0;
  uint64_t txBytes = 0;
  uint32_t protocolVersion = 0;
  std::vector<AllowedIp> allowedIps;
  // Wipes the preshared key. Every Peer that goes (including the moved-from elements a
  // growing vector<Peer> frees while a dump is parsed, P6) takes its key with it.
  ~Peer();
  Peer() = default;
  Peer(const Peer&) = default;
  Peer(Peer&&) noexcept = default;
  Peer& operator=(const Peer&) = default;
  Peer& operator=(Peer&&) noexcept = default;
};

struct Device {
  uint32_t ifindex = 0;
  std::string ifname;
  bool hasPrivateKey = false;
  Key privateKey{};
  bool hasPublicKey = false;
  Key publicKey{};
  uint16_t listenPort = 0;
  uint32_t fwmark = 0;
  std::vector<Peer> peers;
  ~Device();
  Device() = default;
  Device(Device&&) noexcept = default;
  Device& operator=(Device&&) noexcept = default;
};

enum class KeyChange : uint8_t { Unchanged, Set, Remove };

struct PeerOp {
  Key publicKey{};
  bool remove = false;
  bool updateOnly = false;
  bool replaceAllowedIps = false;
  KeyChange presharedKey = KeyChange::Unchanged;
  Key presharedKeyValue{};
  Endpoint endpoint;       // family 0 = unchanged
  int32_t keepalive = -1;  // -1 = unchanged
  std::vector<AllowedIp> allowedIps;
  // Wipes the preshared key, as Peer does (P6).
  ~PeerOp();
  PeerOp() = default;
  PeerOp(const PeerOp&) = default;
  PeerOp(PeerOp&&) noexcept = default;
  PeerOp& operator=(const PeerOp&) = default;
  PeerOp& operator=(PeerOp&&) noexcept = default;
};

struct DeviceOp {
  std::string ifname;
  KeyChange privateKey = KeyChange::Unchanged;
  Key privateKeyValue{};
  int32_t listenPort = -1;  // -1 = unchanged
  int64_t fwmark = -1;      // -1 = unchanged
  bool replacePeers = false;
  std::vector<PeerOp> peers;
  ~DeviceOp();
  DeviceOp() = default;
  DeviceOp(DeviceOp&&) noexcept = default;
  DeviceOp& operator=(DeviceOp&&) noexcept = default;
};

// Packs `op` into SET messages of at most `capacity` bytes. Device attributes and
// REPLACE_PEERS only in the first; REPLACE_ALLOWEDIPS (and the other per-peer fields) only in a
// peer's first fragment; continuation fragments repeat the key (and UPDATE_ONLY). Refuses an
// all-zero key unless removal is explicit (K6). EMSGSIZE when capacity is too small for a peer.
Result<std::vector<MessageBuilder>> buildSetMessages(uint16_t family, const DeviceOp& op, size_t capacity, std::vector<size_t>* endPeerPerMessage);

// Accumulates a WG_CMD_GET_DEVICE dump: device attributes from the first message, peers from
// all, merging a peer continued in the next message (same key first) in O(1) per message.
class DumpParser {
 public:
  explicit DumpParser(bool statsOnly = false) : statsOnly_(statsOnly) {}
  Status feed(const uint8_t* payload, size_t len);  // payload after nlmsghdr (genl header first)
  Device take() { return std::move(device_); }

 private:
  Status parsePeer(const uint8_t* data, size_t len);
  Device device_;
  bool first_ = true;
  bool statsOnly_ = false;
};

class WireGuard {
 public:
  explicit WireGuard(NetlinkSocket sock, uint16_t family) : sock_(std::move(sock)), family_(family) {}
  // The device dump, restarted on DUMP_INTR up to `retries` times (then EAGAIN, L1).
  // statsOnly skips allowed IPs (the monitoring fast path).
  Result<Device> getDevice(const std::string& ifname, int retries = 10, bool statsOnly = false);
  // Sends the packed messages one by one, stopping at the first error; the error's
  // appliedMessages says how many were acknowledged, and endPeer says which ops they held.
  Status setDevice(const DeviceOp& op, std::vector<size_t>* endPeerPerMessage, size_t capacity = 0);

 private:
  NetlinkSocket sock_;
  uint16_t family_;
};

// The message size wg(8) uses: the page size, at most 8 KiB.
size_t idealMessageSize();

}  // namespace lanrage::nl
