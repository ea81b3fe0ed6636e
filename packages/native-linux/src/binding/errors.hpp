#pragma once
#include <napi.h>

#include "../netlink/error.hpp"

namespace lanrage::binding {

// A JS Error carrying code (errno name), errno, syscall, extack and appliedMessages.
Napi::Error toJsError(Napi::Env env, const nl::NetlinkError& e);

}  // namespace lanrage::binding
