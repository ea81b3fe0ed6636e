#include "wireguard.hpp"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lanrage::nl {

namespace {

void wipe(void* p, size_t n) { ::explicit_bzero(p, n); }

bool isZero(const Key& k) {
  uint8_t acc = 0;
  for (uint8_t b : k) acc |= b;
  return acc == 0;
}

MessageBuilder newSetMessage(uint16_t family, size_t capacity, const std::string& ifname) {
  MessageBuilder mb(capacity, family, 0);
  struct genlmsghdr g {};
  g.cmd = WG_CMD_SET_DEVICE;
  g.version = WG_GENL_VERSION;
  mb.putHeader(&g, sizeof g);
  mb.putString(WGDEVICE_A_IFNAME, ifname);
  return mb;
}

bool putEndpoint(MessageBuilder& mb, const Endpoint& e) {
  if (e.family == AF_INET) {
    struct sockaddr_in sin {};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    std::memcpy(&sin.sin_addr, e.addr.data(), 4);
    return mb.put(WGPEER_A_ENDPOINT, &sin, sizeof sin);
  }
  struct sockaddr_in6 sin6 {};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(e.port);
  sin6.sin6_flowinfo = e.flowinfo;
  sin6.sin6_scope_id = e.scopeId;
  std::memcpy(&sin6.sin6_addr, e.addr.data(), 16);
  return mb.put(WGPEER_A_ENDPOINT, &sin6, sizeof sin6);
}

size_t allowedIpSize(const AllowedIp& ip) {
  size_t addr = ip.family == AF_INET ? 4 : 16;
  size_t s = kAttrHeader + kAttrHeader + align4(sizeof(uint16_t)) + kAttrHeader + align4(addr) + kAttrHeader + align4(1);
  if (ip.remove) s += kAttrHeader + 4;
  return s;
}

bool putAllowedIp(MessageBuilder& mb, const AllowedIp& ip) {
  if (!mb.fits(allowedIpSize(ip) - kAttrHeader)) return false;
  NestGuard n(mb, 0);
  uint16_t fam = ip.family;
  mb.putU16(WGALLOWEDIP_A_FAMILY, fam);
  mb.put(WGALLOWEDIP_A_IPADDR, ip.addr.data(), ip.family == AF_INET ? 4 : 16);  // A8: 4 bytes for v4
  mb.putU8(WGALLOWEDIP_A_CIDR_MASK, ip.cidr);
  if (ip.remove) mb.putU32(kAllowedIpAttrFlags, kAllowedIpFlagRemoveMe);
  return true;
}

// Everything a peer's first fragment may carry, so it is never split inside the fixed part.
constexpr size_t kPeerFixedMax = kAttrHeader /*peer nest*/ + kAttrHeader + 32 /*pubkey*/ + kAttrHeader + 4 /*flags*/ + kAttrHeader + 32 /*psk*/ +
                                 kAttrHeader + 28 /*endpoint*/ + kAttrHeader + 4 /*keepalive*/ + kAttrHeader /*allowedips nest*/;

}  // namespace

Peer::~Peer() { wipe(presharedKey.data(), presharedKey.size()); }

PeerOp::~PeerOp() { wipe(presharedKeyValue.data(), presharedKeyValue.size()); }

// Each peer wipes its own key (its destructor); the device's key is the device's.
Device::~Device() { wipe(privateKey.data(), privateKey.size()); }

DeviceOp::~DeviceOp() { wipe(privateKeyValue.data(), privateKeyValue.size()); }

size_t idealMessageSize() {
  long page = ::sysconf(_SC_PAGESIZE);
  return static_cast<size_t>(std::min<long>(page > 0 ? page : 4096, 8192));
}

Result<std::vector<MessageBuilder>> buildSetMessages(uint16_t family, const DeviceOp& op, size_t capacity, std::vector<size_t>* endPeerPerMessage) {
  if (op.privateKey == KeyChange::Set && isZero(op.privateKeyValue)) return makeError(EINVAL, "encode", "refusing an all-zero private key (use explicit removal)");
  std::vector<MessageBuilder> out;
  std::vector<size_t> ends;
  MessageBuilder mb = newSetMessage(family, capacity, op.ifname);
  // Device attributes, only in the first message.
  if (op.privateKey != KeyChange::Unchanged) {
    Key k = op.privateKey == KeyChange::Set ? op.privateKeyValue : Key{};
    mb.put(WGDEVICE_A_PRIVATE_KEY, k.data(), k.size());
    wipe(k.data(), k.size());
  }
  if (op.listenPort >= 0) mb.putU16(WGDEVICE_A_LISTEN_PORT, static_cast<uint16_t>(op.listenPort));
  if (op.fwmark >= 0) mb.putU32(WGDEVICE_A_FWMARK, static_cast<uint32_t>(op.fwmark));
  if (op.replacePeers) mb.putU32(WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS);

  // header + genl header + IFNAME: what a message holds before any peer
  const size_t emptySize = NLMSG_HDRLEN + align4(GENL_HDRLEN) + kAttrHeader + align4(op.ifname.size() + 1);
  size_t peersNest = SIZE_MAX;
  auto flush = [&]() {
    if (peersNest != SIZE_MAX) mb.endNest(peersNest);
    peersNest = SIZE_MAX;
    out.push_back(std::move(mb));
    mb = newSetMessage(family, capacity, op.ifname);
  };

  for (size_t i = 0; i < op.peers.size(); ++i) {
    const PeerOp& p = op.peers[i];
    if (p.presharedKey == KeyChange::Set && isZero(p.presharedKeyValue)) return makeError(EINVAL, "encode", "refusing an all-zero preshared key (use explicit removal)");
    size_t nextIp = 0;
    bool firstFragment = true;
    for (;;) {
      // Room for the peer's fixed part and its next allowed IP (and the PEERS nest if not open yet).
      size_t need = kPeerFixedMax + (nextIp < p.allowedIps.size() ? allowedIpSize(p.allowedIps[nextIp]) : 0) + (peersNest == SIZE_MAX ? kAttrHeader : 0);
      if (!mb.fits(0, need)) {
        if (mb.size() <= emptySize) return makeError(EMSGSIZE, "encode", "message capacity too small for one peer");
        ends.push_back(i);
        flush();
        continue;
      }
      if (peersNest == SIZE_MAX) peersNest = mb.beginNest(WGDEVICE_A_PEERS);
      size_t peerNest = mb.beginNest(0);
      mb.put(WGPEER_A_PUBLIC_KEY, p.publicKey.data(), p.publicKey.size());
      uint32_t flags = 0;
      if (firstFragment) {
        if (p.remove) flags |= WGPEER_F_REMOVE_ME;
        if (p.replaceAllowedIps) flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
        if (p.updateOnly) flags |= WGPEER_F_UPDATE_ONLY;
      } else if (p.updateOnly) {
        flags |= WGPEER_F_UPDATE_ONLY;  // a continuation must not create a peer update-only skipped
      }
      if (flags) mb.putU32(WGPEER_A_FLAGS, flags);
      if (firstFragment && !p.remove) {
        if (p.presharedKey != KeyChange::Unchanged) {
          Key k = p.presharedKey == KeyChange::Set ? p.presharedKeyValue : Key{};
          mb.put(WGPEER_A_PRESHARED_KEY, k.data(), k.size());
          wipe(k.data(), k.size());
        }
        if (p.endpoint.family != 0) putEndpoint(mb, p.endpoint);
        if (p.keepalive >= 0) mb.putU16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, static_cast<uint16_t>(p.keepalive));
      }
      firstFragment = false;
      bool done = true;
      if (!p.remove && nextIp < p.allowedIps.size()) {
        size_t ipsNest = mb.beginNest(WGPEER_A_ALLOWEDIPS);
        while (nextIp < p.allowedIps.size()) {
          // Leave room to close the nests of this message.
          if (!mb.fits(allowedIpSize(p.allowedIps[nextIp]) - kAttrHeader, 0) || !putAllowedIp(mb, p.allowedIps[nextIp])) {
            done = false;
            break;
          }
          ++nextIp;
        }
        mb.endNest(ipsNest);
      }
      mb.endNest(peerNest);
      if (done) break;
      ends.push_back(i);  // op i continues in the next message
      flush();
    }
  }
  if (peersNest != SIZE_MAX) mb.endNest(peersNest);
  ends.push_back(op.peers.size());
  out.push_back(std::move(mb));
  // ends[m] = how many ops are complete once messages 0..m are applied.
  if (endPeerPerMessage) *endPeerPerMessage = std::move(ends);
  return out;
}

Status DumpParser::parsePeer(const uint8_t* data, size_t len) {
  Peer peer;
  bool hasKey = false;
  AttrIterator it(data, len);
  Attr a;
  while (it.next(a)) {
    switch (a.type) {
      case WGPEER_A_PUBLIC_KEY:
        if (a.len == 32) {
          std::memcpy(peer.publicKey.data(), a.data, 32);
          hasKey = true;
        }
        break;
      case WGPEER_A_PRESHARED_KEY:
        if (a.len == 32) {
          std::memcpy(peer.presharedKey.data(), a.data, 32);
          peer.hasPresharedKey = !isZero(peer.presharedKey);
        }
        break;
      case WGPEER_A_ENDPOINT:
        // An endpoint of the wrong length is ignored, as wg does (L11).
        if (a.len == sizeof(struct sockaddr_in)) {
          struct sockaddr_in sin;
          std::memcpy(&sin, a.data, sizeof sin);
          if (sin.sin_family == AF_INET) {
            peer.endpoint.family = AF_INET;
            std::memcpy(peer.endpoint.addr.data(), &sin.sin_addr, 4);
            peer.endpoint.port = ntohs(sin.sin_port);
          }
        } else if (a.len == sizeof(struct sockaddr_in6)) {
          struct sockaddr_in6 sin6;
          std::memcpy(&sin6, a.data, sizeof sin6);
          if (sin6.sin6_family == AF_INET6) {
            peer.endpoint.family = AF_INET6;
            std::memcpy(peer.endpoint.addr.data(), &sin6.sin6_addr, 16);
            peer.endpoint.port = ntohs(sin6.sin6_port);
            peer.endpoint.flowinfo = sin6.sin6_flowinfo;
            peer.endpoint.scopeId = sin6.sin6_scope_id;
          }
        }
        break;
      case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
        a.u16(peer.keepalive);
        break;
      case WGPEER_A_LAST_HANDSHAKE_TIME:
        if (a.len == 16) {
          std::memcpy(&peer.handshakeSec, a.data, 8);
          std::memcpy(&peer.handshakeNsec, a.data + 8, 8);
        }
        break;
      case WGPEER_A_RX_BYTES:
        a.u64(peer.rxBytes);
        break;
      case WGPEER_A_TX_BYTES:
        a.u64(peer.txBytes);
        break;
      case WGPEER_A_PROTOCOL_VERSION:
        a.u32(peer.protocolVersion);
        break;
      case WGPEER_A_ALLOWEDIPS: {
        if (statsOnly_) break;  // the monitoring fast path never builds the prefix lists
        AttrIterator ips(a.data, a.len);
        Attr e;
        while (ips.next(e)) {
          AllowedIp ip;
          bool hasFamily = false, hasAddr = false, hasCidr = false;
          AttrIterator f(e.data, e.len);
          Attr x;
          uint16_t fam = 0;
          while (f.next(x)) {
            if (x.type == WGALLOWEDIP_A_FAMILY && x.u16(fam)) hasFamily = true;
            else if (x.type == WGALLOWEDIP_A_IPADDR && (x.len == 4 || x.len == 16)) {
              std::memcpy(ip.addr.data(), x.data, x.len);
              hasAddr = true;
            } else if (x.type == WGALLOWEDIP_A_CIDR_MASK && x.u8(ip.cidr)) hasCidr = true;
          }
          if (!f.valid()) return makeError(EPROTO, "parse", "malformed allowed IP");
          if (!hasFamily || !hasAddr || !hasCidr) return makeError(EPROTO, "parse", "incomplete allowed IP");
          if (!((fam == AF_INET && ip.cidr <= 32) || (fam == AF_INET6 && ip.cidr <= 128))) return makeError(EPROTO, "parse", "bad allowed IP family or prefix");
          ip.family = static_cast<uint8_t>(fam);
          peer.allowedIps.push_back(ip);
        }
        if (!ips.valid()) return makeError(EPROTO, "parse", "malformed allowed IPs");
        break;
      }
      default:
        break;
    }
  }
  if (!it.valid()) return makeError(EPROTO, "parse", "malformed peer");
  if (!hasKey) return makeError(EPROTO, "parse", "peer without a public key");
  // Coalesce: a peer continued from the previous message repeats its key first (L3).
  if (!device_.peers.empty() && device_.peers.back().publicKey == peer.publicKey) {
    auto& last = device_.peers.back();
    last.allowedIps.insert(last.allowedIps.end(), peer.allowedIps.begin(), peer.allowedIps.end());
    return okStatus();
  }
  device_.peers.push_back(std::move(peer));
  return okStatus();
}

Status DumpParser::feed(const uint8_t* payload, size_t len) {
  if (len < GENL_HDRLEN) return makeError(EPROTO, "parse", "short generic netlink message");
  AttrIterator it(payload + GENL_HDRLEN, len - GENL_HDRLEN);
  Attr a;
  bool firstPeerOfMessage = true;
  while (it.next(a)) {
    switch (a.type) {
      case WGDEVICE_A_IFINDEX:
        a.u32(device_.ifindex);
        break;
      case WGDEVICE_A_IFNAME:
        device_.ifname = a.str();
        break;
      case WGDEVICE_A_PRIVATE_KEY:
        if (a.len == 32) {
          std::memcpy(device_.privateKey.data(), a.data, 32);
          device_.hasPrivateKey = !isZero(device_.privateKey);
        }
        break;
      case WGDEVICE_A_PUBLIC_KEY:
        if (a.len == 32) {
          std::memcpy(device_.publicKey.data(), a.data, 32);
          device_.hasPublicKey = !isZero(device_.publicKey);
        }
        break;
      case WGDEVICE_A_LISTEN_PORT:
        a.u16(device_.listenPort);
        break;
      case WGDEVICE_A_FWMARK:
        a.u32(device_.fwmark);
        break;
      case WGDEVICE_A_PEERS: {
        AttrIterator peers(a.data, a.len);
        Attr p;
        while (peers.next(p)) {
          Status s = parsePeer(p.data, p.len);
          if (!s.ok()) return s;
          firstPeerOfMessage = false;
        }
        if (!peers.valid()) return makeError(EPROTO, "parse", "malformed peer list");
        break;
      }
      default:
        break;
    }
  }
  (void)firstPeerOfMessage;
  if (!it.valid()) return makeError(EPROTO, "parse", "malformed device message");
  first_ = false;
  return okStatus();
}

Result<Device> WireGuard::getDevice(const std::string& ifname, int retries, bool statsOnly) {
  for (int attempt = 0; attempt <= retries; ++attempt) {
    MessageBuilder mb(512, family_, 0);
    struct genlmsghdr g {};
    g.cmd = WG_CMD_GET_DEVICE;
    g.version = WG_GENL_VERSION;
    mb.putHeader(&g, sizeof g);
    mb.putString(WGDEVICE_A_IFNAME, ifname);
    DumpParser parser(statsOnly);
    bool interrupted = false;
    RequestOptions opts;
    opts.dump = true;
    opts.interrupted = &interrupted;
    Status s = sock_.request(mb, [&](const MessageView& v) { return parser.feed(v.payload, v.payloadLen); }, opts);
    if (!s.ok()) {
      auto e = s.error();
      // A reply bigger than the buffer (it has grown), or replies the kernel dropped because the
      // socket's queue was full (ENOBUFS, L7): read the whole dump again (stale parts are dropped
      // by their sequence number).
      if ((e.err == EMSGSIZE || e.err == ENOBUFS) && e.syscall == "recvmsg" && attempt < retries) continue;
      if (e.message.empty() || e.syscall == "netlink") e.message = "reading WireGuard device " + ifname;
      return e;
    }
    if (!interrupted) return parser.take();
    ::usleep(static_cast<useconds_t>(1000 * (attempt + 1)));  // back off before the retry
  }
  return makeError(EAGAIN, "netlink", "device " + ifname + " kept changing while it was read (NLM_F_DUMP_INTR)");
}

Status WireGuard::setDevice(const DeviceOp& op, std::vector<size_t>* endPeerPerMessage, size_t capacity) {
  auto built = buildSetMessages(family_, op, capacity ? capacity : idealMessageSize(), endPeerPerMessage);
  if (!built.ok()) return built.error();
  auto& messages = built.value();
  for (size_t m = 0; m < messages.size(); ++m) {
    Status s = sock_.request(messages[m], [](const MessageView&) { return okStatus(); });
    if (!s.ok()) {
      auto e = s.error();
      e.appliedMessages = m;
      e.message = "setting WireGuard device " + op.ifname;
      return e;
    }
  }
  return okStatus();
}

}  // namespace lanrage::nl
