#include "core.hpp"

#include <linux/netlink.h>

#include <iterator>

#include "../netlink/genl.hpp"

namespace lanrage::binding {

nl::Result<nl::WireGuard*> Core::wireguard() {
  if (wg_) return wg_.get();
  auto sock = nl::NetlinkSocket::open(NETLINK_GENERIC);
  if (!sock.ok()) return sock.error();
  auto family = nl::resolveFamily(sock.value(), "wireguard");
  if (!family.ok()) return family.error();
  wg_ = std::make_unique<nl::WireGuard>(std::move(sock.value()), family.value());
  return wg_.get();
}

nl::Result<nl::Rtnl*> Core::rtnl() {
  if (rtnl_) return rtnl_.get();
  auto sock = nl::NetlinkSocket::open(NETLINK_ROUTE);
  if (!sock.ok()) return sock.error();
  rtnl_ = std::make_unique<nl::Rtnl>(std::move(sock.value()));
  return rtnl_.get();
}

namespace {

// More names than any caller uses; past it the cache starts over rather than grow.
constexpr size_t kMaxCachedLinks = 1024;

}  // namespace

bool Core::watchLinks() {
  if (!events_ && !eventsTried_) {
    eventsTried_ = true;
    auto ev = nl::LinkEvents::open();
    if (ev.ok()) events_ = std::make_unique<nl::LinkEvents>(std::move(ev.value()));
  }
  if (!events_) return false;
  const bool complete = events_->drain([this](const nl::LinkEvent& e) { applyLinkEvent(ifindex_, e); });
  if (!complete) ifindex_.clear();
  return true;
}

nl::Result<uint32_t> Core::linkIndex(nl::Rtnl& rt, const std::string& name, bool& cached) {
  // Subscribed before the lookup, so a change right after it is seen.
  const bool caching = watchLinks();
  if (caching) {
    auto it = ifindex_.find(name);
    if (it != ifindex_.end()) {
      cached = true;
      return it->second;
    }
  }
  cached = false;
  auto li = rt.getLink(name);
  if (!li.ok()) return li.error();
  if (caching) {
    if (ifindex_.size() >= kMaxCachedLinks) ifindex_.clear();
    ifindex_[name] = li.value().index;
  }
  return li.value().index;
}

void Core::close() {
  wg_.reset();
  rtnl_.reset();
  events_.reset();
  eventsTried_ = false;
  ifindex_.clear();
}

void applyLinkEvent(std::unordered_map<std::string, uint32_t>& cache, const nl::LinkEvent& e) {
  // A deleted index, an index now under another name (renamed), a name now on another index.
  // (A deletion under the name but of another index is of an older link: names are unique.)
  for (auto it = cache.begin(); it != cache.end();) {
    const bool stale = it->second == e.index ? (e.deleted || it->first != e.name) : (it->first == e.name && !e.deleted);
    it = stale ? cache.erase(it) : std::next(it);
  }
}

bool validInterfaceName(const std::string& name) {
  // The rule of validateInterfaceName in @lanrage/core, kept equal by test/native/interface-name.test.ts.
  if (name.empty() || name.size() > 15 || name == "." || name == ".." || name[0] == '-') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '=' || c == '+' || c == '.' || c == '-';
    if (!ok) return false;  // also rejects an embedded NUL
  }
  return true;
}

}  // namespace lanrage::binding
