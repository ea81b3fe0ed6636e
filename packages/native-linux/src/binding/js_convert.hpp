#pragma once
// Conversions between JS values and the netlink core's structs, all on the JS thread.
#include <napi.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "../codec/flat_device.hpp"
#include "../netlink/rtnl.hpp"
#include "../netlink/wireguard.hpp"

namespace lanrage::binding {

// Argument i as a valid interface name (TypeError otherwise).
std::string nameArg(const Napi::CallbackInfo& info, size_t i);

// Copies a Uint8Array of exactly `expect` bytes into `out` (TypeError otherwise).
template <size_t N>
void bytesArg(Napi::Env env, Napi::Value v, std::array<uint8_t, N>& out, size_t expect, const char* what);

nl::Prefix prefixArg(Napi::Env env, Napi::Value v);
// An array of prefixes (TypeError naming `what` otherwise).
std::vector<nl::Prefix> prefixListArg(Napi::Env env, Napi::Value v, const char* what);
Napi::Value prefixesToJs(Napi::Env env, std::vector<nl::Prefix>& list);
Napi::Object linkToJs(Napi::Env env, const nl::LinkInfo& l);
Napi::Value linksToJs(Napi::Env env, std::vector<nl::LinkInfo>& links);

// The flat device as typed arrays (see NativeDevice in src/native.ts): one memcpy each.
Napi::Value deviceToJs(Napi::Env env, codec::FlatDevice& d);

Napi::Value undefinedOf(Napi::Env env, nl::Unit&);

}  // namespace lanrage::binding
