#pragma once
// The native state behind one JS KernelBackend: one long-lived generic-netlink socket (family
// resolved once), one rtnetlink socket, opened on first use, and a cache of link name → index
// kept exact by link notifications. Used only from the backend's I/O thread (X4), so it needs
// no lock. Pure C++.
#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "../netlink/rtnl.hpp"
#include "../netlink/wireguard.hpp"

namespace lanrage::binding {

class Core {
 public:
  // Both return an error (ENOENT for a missing wireguard family) instead of throwing.
  nl::Result<nl::WireGuard*> wireguard();
  nl::Result<nl::Rtnl*> rtnl();

  // fn(rtnl, index) for the link `name`. The index comes from the cache when it is known (no
  // RTM_GETLINK per call), else from a lookup that is then cached. The cache forgets a link
  // when a notification says it was deleted, renamed or recreated, and all of them when
  // notifications were lost; as a last guard, ENODEV from fn with a cached index (a change not
  // yet seen) forgets the link, looks it up once more and calls fn again. Without a
  // notification socket nothing is cached.
  template <typename T>
  nl::Result<T> onLink(const std::string& name, const std::function<nl::Result<T>(nl::Rtnl&, uint32_t)>& fn) {
    auto rt = rtnl();
    if (!rt.ok()) return rt.error();
    bool cached = false;
    auto index = linkIndex(*rt.value(), name, cached);
    if (!index.ok()) return index.error();
    nl::Result<T> r = fn(*rt.value(), index.value());
    if (r.ok() || !cached || r.error().err != ENODEV) return r;
    forgetLink(name);
    index = linkIndex(*rt.value(), name, cached);
    if (!index.ok()) return index.error();
    return fn(*rt.value(), index.value());
  }

  // After this backend creates or deletes a link of that name.
  void forgetLink(const std::string& name) { ifindex_.erase(name); }
  // Links cached now (for tests and diagnostics).
  size_t cachedLinks() const { return ifindex_.size(); }
  void close();

 private:
  nl::Result<uint32_t> linkIndex(nl::Rtnl& rt, const std::string& name, bool& cached);
  // Opens the notification socket on first use and applies what it queued; false when there
  // is none (then nothing is cached).
  bool watchLinks();

  std::unique_ptr<nl::WireGuard> wg_;
  std::unique_ptr<nl::Rtnl> rtnl_;
  std::unique_ptr<nl::LinkEvents> events_;
  bool eventsTried_ = false;
  std::unordered_map<std::string, uint32_t> ifindex_;
};

// Drops the entries of a name → index cache that the notification `e` makes stale.
void applyLinkEvent(std::unordered_map<std::string, uint32_t>& cache, const nl::LinkEvent& e);

// Checks an interface name the way the kernel will (and refuses an embedded NUL, N4).
bool validInterfaceName(const std::string& name);

}  // namespace lanrage::binding
