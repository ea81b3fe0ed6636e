#pragma once
// The native state behind one JS KernelBackend: one long-lived generic-netlink socket (family
// resolved once) and one rtnetlink socket, opened on first use and used by one worker at a
// time (X4). Pure C++; the N-API layer only calls into it from worker threads.
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "../netlink/rtnl.hpp"
#include "../netlink/wireguard.hpp"

namespace lanrage::binding {

class Core {
 public:
  // Both return an error (ENOENT for a missing wireguard family) instead of throwing.
  nl::Result<nl::WireGuard*> wireguard();
  nl::Result<nl::Rtnl*> rtnl();
  std::mutex& mutex() { return mutex_; }
  void close();

 private:
  std::mutex mutex_;
  std::unique_ptr<nl::WireGuard> wg_;
  std::unique_ptr<nl::Rtnl> rtnl_;
};

// Checks an interface name the way the kernel will (and refuses an embedded NUL, N4).
bool validInterfaceName(const std::string& name);

}  // namespace lanrage::binding
