#pragma once
// Generic netlink: resolving a family name to its id (once per socket owner, not per call).
#include <cstdint>
#include <string>

#include "error.hpp"
#include "socket.hpp"

namespace lanrage::nl {

// ENOENT when the family does not exist (for wireguard: the module is not loaded, L9).
Result<uint16_t> resolveFamily(NetlinkSocket& sock, const std::string& name);

}  // namespace lanrage::nl
