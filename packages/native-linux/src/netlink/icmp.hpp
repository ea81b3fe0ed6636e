#pragma once
// One ICMP echo round trip without a subprocess: an ICMP datagram socket where
// net.ipv4.ping_group_range allows it, else a raw socket (root / CAP_NET_RAW).
#include <array>
#include <cstdint>

#include "error.hpp"

namespace lanrage::nl {

// Milliseconds, or a negative value when no reply came within `timeoutMs`.
Result<double> ping(uint8_t family, const std::array<uint8_t, 16>& addr, int timeoutMs);

}  // namespace lanrage::nl
