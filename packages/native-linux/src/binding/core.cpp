#include "core.hpp"

#include <linux/netlink.h>

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

void Core::close() {
  wg_.reset();
  rtnl_.reset();
}

bool validInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '=' || c == '+' || c == '.' || c == '-';
    if (!ok) return false;  // also rejects an embedded NUL
  }
  return true;
}

}  // namespace lanrage::binding
