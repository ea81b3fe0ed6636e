#pragma once
// rtnetlink: WireGuard links (create, delete, list by IFLA_INFO_KIND), addresses, MTU,
// up/down and routes, each idempotent where the caller needs it to be.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "error.hpp"
#include "socket.hpp"

namespace lanrage::nl {

struct LinkInfo {
  uint32_t index = 0;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND, "" when none
  uint32_t mtu = 0;
  bool up = false;
};

struct Prefix {
  uint8_t family = 0;
  std::array<uint8_t, 16> addr{};
  uint8_t prefixLen = 0;
  bool operator==(const Prefix& o) const { return family == o.family && addr == o.addr && prefixLen == o.prefixLen; }
};

// The routing protocol number lanrage marks its routes with, so it only ever removes its own.
constexpr uint8_t kRouteProtocol = 108;

class Rtnl {
 public:
  explicit Rtnl(NetlinkSocket sock) : sock_(std::move(sock)) {}
  Result<std::vector<LinkInfo>> listLinks();
  // ENODEV when missing.
  Result<LinkInfo> getLink(const std::string& name);
  // EEXIST when a link of that name exists.
  Status createWireGuard(const std::string& name);
  Status deleteLink(uint32_t index);
  Result<std::vector<Prefix>> listAddresses(uint32_t index);
  Status addAddress(uint32_t index, const Prefix& p);
  Status deleteAddress(uint32_t index, const Prefix& p);
  Status setMtu(uint32_t index, uint32_t mtu);
  Status setUp(uint32_t index, bool up);
  // Routes through `index` in the main table carrying kRouteProtocol.
  Result<std::vector<Prefix>> listRoutes(uint32_t index);
  Status addRoute(uint32_t index, const Prefix& p);
  Status deleteRoute(uint32_t index, const Prefix& p);
  // Removes `remove`, then adds `add` (routes through `index` carrying kRouteProtocol), all in
  // one batch: no dump first. Adding a route that exists replaces it; removing one that is not
  // there is done. Fails with the first refusal (ENODEV when any message found no link).
  Status changeRoutes(uint32_t index, const std::vector<Prefix>& add, const std::vector<Prefix>& remove, const BatchOptions& opts = {});

 private:
  NetlinkSocket sock_;
};

// A link notification: created or changed (RTM_NEWLINK), or deleted (RTM_DELLINK).
struct LinkEvent {
  uint32_t index = 0;
  std::string name;
  bool deleted = false;
};

// Link notifications (RTNLGRP_LINK) read without blocking, for a cache of name → index to see
// links deleted, renamed or recreated by anyone.
class LinkEvents {
 public:
  static Result<LinkEvents> open();
  // A non-blocking socket connected to a peer that plays the kernel (tests use a socketpair).
  static LinkEvents fromConnectedFd(UniqueFd fd);
  LinkEvents(LinkEvents&&) noexcept = default;
  LinkEvents& operator=(LinkEvents&&) noexcept = default;
  // Calls onEvent for every queued notification, oldest first. False when notifications were
  // lost (the queue overran, or a datagram did not fit): the caller then trusts nothing it knew.
  bool drain(const std::function<void(const LinkEvent&)>& onEvent);

 private:
  LinkEvents() = default;
  UniqueFd fd_;
  bool connected_ = false;
  std::vector<uint8_t> rx_;
};

}  // namespace lanrage::nl
