// The addon's entry: the NativeBackend class JS sees. Arguments are checked and converted on
// the JS thread (js_convert, the device-op codec); all socket work runs on the backend's own
// I/O thread (backend_io); every method returns a Promise and none blocks the event loop.
#include <napi.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../codec/device_op_codec.hpp"
#include "../codec/flat_device.hpp"
#include "../netlink/icmp.hpp"
#include "backend_io.hpp"
#include "core.hpp"
#include "js_convert.hpp"
#include "promise_worker.hpp"

namespace lanrage::binding {

namespace {

struct GenlState {
  bool available;
  std::string reason;
};

Napi::Value genlStateToJs(Napi::Env env, GenlState& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", Napi::Boolean::New(env, s.available));
  o.Set("reason", Napi::String::New(env, s.reason));
  return o;
}

// The op argument: a Uint8Array in the device-op format and the number of its bytes in use
// (the JS side reuses one buffer for small changes). Copied here, so the buffer is free again
// when the call returns, and its secret bytes zeroed; decoded later on the I/O thread, so a
// 100k-peer change does not hold up the event loop.
std::shared_ptr<std::vector<uint8_t>> deviceOpArg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "setDevice(name, op: Uint8Array, length: number, capacity?)");
  }
  auto buf = info[1].As<Napi::Uint8Array>();
  const double len = info[2].As<Napi::Number>().DoubleValue();
  if (!(len >= 0 && len <= static_cast<double>(buf.ByteLength())) || len != static_cast<double>(static_cast<size_t>(len))) {
    throw Napi::RangeError::New(env, "op length is out of the buffer's range");
  }
  auto bytes = std::make_shared<std::vector<uint8_t>>(buf.Data(), buf.Data() + static_cast<size_t>(len));
  codec::wipeDeviceOpSecrets(buf.Data(), static_cast<size_t>(len));
  return bytes;
}

// The default poll cap: an awaited call's turnaround in the VM is 150-300 µs (natively a tenth
// of that), so back-to-back calls are caught there too.
constexpr int kDefaultPollMicros = 500;
constexpr int kMaxPollMicros = 100000;

std::chrono::microseconds pollMicrosArg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || info[0].IsUndefined()) return std::chrono::microseconds(kDefaultPollMicros);
  const double v = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(v >= 0 && v <= kMaxPollMicros) || v != static_cast<double>(static_cast<int>(v))) {
    throw Napi::RangeError::New(info.Env(), "pollMicros must be a whole number of microseconds from 0 to 100000");
  }
  return std::chrono::microseconds(static_cast<int>(v));
}

}  // namespace

class NativeBackend : public Napi::ObjectWrap<NativeBackend> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeBackend",
                       {
                           InstanceMethod("genlStatus", &NativeBackend::GenlStatus),
                           InstanceMethod("listLinks", &NativeBackend::ListLinks),
                           InstanceMethod("getLink", &NativeBackend::GetLink),
                           InstanceMethod("createLink", &NativeBackend::CreateLink),
                           InstanceMethod("deleteLink", &NativeBackend::DeleteLink),
                           InstanceMethod("getDevice", &NativeBackend::GetDevice),
                           InstanceMethod("setDevice", &NativeBackend::SetDevice),
                           InstanceMethod("listAddresses", &NativeBackend::ListAddresses),
                           InstanceMethod("addAddress", &NativeBackend::AddAddress),
                           InstanceMethod("deleteAddress", &NativeBackend::DeleteAddress),
                           InstanceMethod("setMtu", &NativeBackend::SetMtu),
                           InstanceMethod("setUp", &NativeBackend::SetUp),
                           InstanceMethod("listRoutes", &NativeBackend::ListRoutes),
                           InstanceMethod("addRoute", &NativeBackend::AddRoute),
                           InstanceMethod("deleteRoute", &NativeBackend::DeleteRoute),
                           InstanceMethod("changeRoutes", &NativeBackend::ChangeRoutes),
                           InstanceMethod("ping", &NativeBackend::Ping),
                           InstanceMethod("close", &NativeBackend::Close),
                       });
  }

  // new NativeBackend(pollMicros?): the I/O thread's busy-poll cap (see poll_window.hpp).
  explicit NativeBackend(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeBackend>(info), io_(pollMicrosArg(info)) {}

 private:
  BackendIo io_;

  Napi::Value GenlStatus(const Napi::CallbackInfo& info) {
    return io_.run<GenlState>(
        info.Env(),
        [](Core& core) -> nl::Result<GenlState> {
          auto wg = core.wireguard();
          if (wg.ok()) return GenlState{true, "the wireguard generic netlink family is present"};
          const auto& e = wg.error();
          if (e.err == ENOENT) return GenlState{false, "the wireguard generic netlink family is missing (modprobe wireguard)"};
          // No generic netlink here at all (some sandboxes and emulators): unavailable, not a crash.
          if (e.syscall == "socket") return GenlState{false, std::string("cannot open a generic netlink socket: ") + std::strerror(e.err)};
          return e;
        },
        genlStateToJs);
  }

  // fn(rtnl) on the I/O thread.
  template <typename T>
  Napi::Value onRtnl(Napi::Env env, std::function<nl::Result<T>(nl::Rtnl&)> fn, Napi::Value (*convert)(Napi::Env, T&)) {
    return io_.run<T>(
        env,
        [fn](Core& core) -> nl::Result<T> {
          auto rt = core.rtnl();
          if (!rt.ok()) return rt.error();
          return fn(*rt.value());
        },
        convert);
  }

  // fn(rtnl, index) for the link named by argument 0, its index from the core's cache (see
  // Core::onLink: no RTM_GETLINK per call; ENODEV with a stale index looks it up again once).
  template <typename T>
  Napi::Value onLink(const Napi::CallbackInfo& info, std::function<nl::Result<T>(nl::Rtnl&, uint32_t)> fn, Napi::Value (*convert)(Napi::Env, T&)) {
    std::string name = nameArg(info, 0);
    return io_.run<T>(info.Env(), [name, fn](Core& core) -> nl::Result<T> { return core.onLink<T>(name, fn); }, convert);
  }

  Napi::Value withLink(const Napi::CallbackInfo& info, std::function<nl::Status(nl::Rtnl&, uint32_t)> fn) { return onLink<nl::Unit>(info, fn, undefinedOf); }

  Napi::Value listPrefixes(const Napi::CallbackInfo& info, std::function<nl::Result<std::vector<nl::Prefix>>(nl::Rtnl&, uint32_t)> fn) {
    return onLink<std::vector<nl::Prefix>>(info, fn, prefixesToJs);
  }

  // fn(index, prefix) for the link named by argument 0 and the prefix in argument 1.
  Napi::Value withLinkPrefix(const Napi::CallbackInfo& info, nl::Status (nl::Rtnl::*fn)(uint32_t, const nl::Prefix&)) {
    nl::Prefix p = prefixArg(info.Env(), info[1]);
    return withLink(info, [p, fn](nl::Rtnl& rt, uint32_t index) { return (rt.*fn)(index, p); });
  }

  Napi::Value ListLinks(const Napi::CallbackInfo& info) {
    return onRtnl<std::vector<nl::LinkInfo>>(info.Env(), [](nl::Rtnl& rt) { return rt.listLinks(); }, linksToJs);
  }

  Napi::Value GetLink(const Napi::CallbackInfo& info) {
    std::string name = nameArg(info, 0);
    return onRtnl<nl::LinkInfo>(
        info.Env(), [name](nl::Rtnl& rt) { return rt.getLink(name); }, [](Napi::Env env, nl::LinkInfo& l) -> Napi::Value { return linkToJs(env, l); });
  }

  Napi::Value CreateLink(const Napi::CallbackInfo& info) {
    std::string name = nameArg(info, 0);
    return io_.run<nl::Unit>(
        info.Env(),
        [name](Core& core) -> nl::Status {
          core.forgetLink(name);
          auto rt = core.rtnl();
          if (!rt.ok()) return rt.error();
          return rt.value()->createWireGuard(name);
        },
        undefinedOf);
  }

  Napi::Value DeleteLink(const Napi::CallbackInfo& info) {
    std::string name = nameArg(info, 0);
    return io_.run<nl::Unit>(
        info.Env(),
        [name](Core& core) -> nl::Status {
          nl::Status s = core.onLink<nl::Unit>(name, [](nl::Rtnl& rt, uint32_t index) { return rt.deleteLink(index); });
          core.forgetLink(name);
          return s;
        },
        undefinedOf);
  }

  // getDevice(name, statsOnly?): statsOnly leaves out allowed IPs (the monitoring fast path).
  Napi::Value GetDevice(const Napi::CallbackInfo& info) {
    std::string name = nameArg(info, 0);
    bool statsOnly = info.Length() > 1 && info[1].ToBoolean().Value();
    return io_.run<codec::FlatDevice>(
        info.Env(),
        [name, statsOnly](Core& core) -> nl::Result<codec::FlatDevice> {
          auto wg = core.wireguard();
          if (!wg.ok()) return wg.error();
          auto dev = wg.value()->getDevice(name, 10, statsOnly);
          if (!dev.ok()) return dev.error();
          return codec::flatten(std::move(dev.value()));
        },
        deviceToJs);
  }

  // setDevice(name, op, length, capacity?): resolves with the number of messages sent.
  Napi::Value SetDevice(const Napi::CallbackInfo& info) {
    std::string name = nameArg(info, 0);
    auto bytes = deviceOpArg(info);
    size_t capacity = 0;
    if (info.Length() > 3 && info[3].IsNumber()) capacity = static_cast<size_t>(info[3].As<Napi::Number>().Uint32Value());
    auto ends = std::make_shared<std::vector<size_t>>();
    return io_.run<nl::Unit>(
        info.Env(),
        [name, bytes, ends, capacity](Core& core) -> nl::Status {
          nl::DeviceOp op;
          std::string bad = codec::decodeDeviceOp(bytes->data(), bytes->size(), op);  // wipes the copy's secrets
          if (!bad.empty()) return nl::makeError(EINVAL, "decode", "invalid device op: " + bad);
          op.ifname = name;
          auto wg = core.wireguard();
          if (!wg.ok()) return wg.error();
          nl::Status s = wg.value()->setDevice(op, ends.get(), capacity);
          if (!s.ok()) {
            // Applied messages → applied peer operations, via the ends table.
            auto e = s.error();
            e.appliedPeers = e.appliedMessages == 0 || ends->empty() ? 0 : (*ends)[std::min(e.appliedMessages, ends->size()) - 1];
            return e;
          }
          return s;
        },
        [ends](Napi::Env env, nl::Unit&) -> Napi::Value { return Napi::Number::New(env, static_cast<double>(ends->size())); });
  }

  Napi::Value ListAddresses(const Napi::CallbackInfo& info) {
    return listPrefixes(info, [](nl::Rtnl& rt, uint32_t index) { return rt.listAddresses(index); });
  }

  Napi::Value AddAddress(const Napi::CallbackInfo& info) { return withLinkPrefix(info, &nl::Rtnl::addAddress); }

  Napi::Value DeleteAddress(const Napi::CallbackInfo& info) { return withLinkPrefix(info, &nl::Rtnl::deleteAddress); }

  Napi::Value SetMtu(const Napi::CallbackInfo& info) {
    if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "mtu must be a number");
    uint32_t mtu = info[1].As<Napi::Number>().Uint32Value();
    return withLink(info, [mtu](nl::Rtnl& rt, uint32_t index) { return rt.setMtu(index, mtu); });
  }

  Napi::Value SetUp(const Napi::CallbackInfo& info) {
    bool up = info.Length() > 1 && info[1].ToBoolean().Value();
    return withLink(info, [up](nl::Rtnl& rt, uint32_t index) { return rt.setUp(index, up); });
  }

  Napi::Value ListRoutes(const Napi::CallbackInfo& info) {
    return listPrefixes(info, [](nl::Rtnl& rt, uint32_t index) { return rt.listRoutes(index); });
  }

  Napi::Value AddRoute(const Napi::CallbackInfo& info) { return withLinkPrefix(info, &nl::Rtnl::addRoute); }

  Napi::Value DeleteRoute(const Napi::CallbackInfo& info) { return withLinkPrefix(info, &nl::Rtnl::deleteRoute); }

  // changeRoutes(name, add, remove): removes, then adds, in one batch (Rtnl::changeRoutes).
  Napi::Value ChangeRoutes(const Napi::CallbackInfo& info) {
    auto add = std::make_shared<const std::vector<nl::Prefix>>(prefixListArg(info.Env(), info[1], "add"));
    auto remove = std::make_shared<const std::vector<nl::Prefix>>(prefixListArg(info.Env(), info[2], "remove"));
    return withLink(info, [add, remove](nl::Rtnl& rt, uint32_t index) { return rt.changeRoutes(index, *add, *remove); });
  }

  // On the thread pool, not the I/O thread: a ping waits up to its timeout, and concurrent
  // pings must not queue behind each other or behind peer changes.
  Napi::Value Ping(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[2].IsNumber()) throw Napi::TypeError::New(env, "ping(family, addr, timeoutMs)");
    uint8_t family = static_cast<uint8_t>(info[0].As<Napi::Number>().Uint32Value());
    if (family != 2 && family != 10) throw Napi::TypeError::New(env, "family must be AF_INET or AF_INET6");
    std::array<uint8_t, 16> addr{};
    bytesArg(env, info[1], addr, family == 2 ? 4 : 16, "addr");
    int timeout = static_cast<int>(info[2].As<Napi::Number>().Int32Value());
    return PromiseWorker<double>::run(
        env, [family, addr, timeout]() { return nl::ping(family, addr, timeout); },
        [](Napi::Env e, double& ms) -> Napi::Value { return ms < 0 ? e.Null() : Napi::Number::New(e, ms); });
  }

  // Closes the sockets after every call queued before it, and ends the I/O thread unless more
  // calls were made meanwhile; a later call opens them (and starts a thread) again.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    return io_.run<nl::Unit>(
        info.Env(),
        [](Core& core) -> nl::Status {
          core.close();
          return nl::okStatus();
        },
        undefinedOf, /*thenRetire=*/true);
  }
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeBackend", NativeBackend::Init(env));
  // The wire format's identity (a hash of wire-format.json): load-native.ts refuses any other.
  exports.Set("abiVersion", Napi::Number::New(env, static_cast<double>(wire::kAbi)));
  return exports;
}

}  // namespace lanrage::binding

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return lanrage::binding::Init(env, exports); }

NODE_API_MODULE(lanrage_netlink, InitModule)
