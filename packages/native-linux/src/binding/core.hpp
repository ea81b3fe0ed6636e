#pragma once
// The native state behind one JS KernelBackend: one long-lived generic-netlink socket (family
// resolved once) and one rtnetlink socket, opened on first use. Used only from the backend's
// I/O thread (X4), so it needs no lock. Pure C++.
#include <memory>
#include <string>

#include "../netlink/rtnl.hpp"
#include "../netlink/wireguard.hpp"

namespace lanrage::binding {

class Core {
 public:
  // Both return an error (ENOENT for a missing wireguard family) instead of throwing.
  nl::Result<nl::WireGuard*> wireguard();
  nl::Result<nl::Rtnl*> rtnl();
  void close();

 private:
  std::unique_ptr<nl::WireGuard> wg_;
  std::unique_ptr<nl::Rtnl> rtnl_;
};

// Checks an interface name the way the kernel will (and refuses an embedded NUL, N4).
bool validInterfaceName(const std::string& name);

}  // namespace lanrage::binding
