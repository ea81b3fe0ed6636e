// The only file that speaks N-API: converts JS values to the netlink core's structs on the JS
// thread, runs the socket work on a worker thread, and converts results back. Every method
// returns a Promise; nothing here blocks the event loop.
#include <napi.h>
#include <string.h>

#include <cstring>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../netlink/icmp.hpp"
#include "core.hpp"
#include "errors.hpp"

namespace lanrage::binding {

namespace {

using nl::NetlinkError;

// Runs `work` off the JS thread and settles a Promise with `convert(result)` or the error.
template <typename T>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::function<nl::Result<T>()> work, std::function<Napi::Value(Napi::Env, T&)> convert)
      : Napi::AsyncWorker(env, "lanrage.netlink"), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), convert_(std::move(convert)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override { result_ = std::make_unique<nl::Result<T>>(work_()); }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!result_->ok()) {
      deferred_.Reject(toJsError(env, result_->error()).Value());
      return;
    }
    try {
      deferred_.Resolve(convert_(env, result_->value()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<nl::Result<T>()> work_;
  std::function<Napi::Value(Napi::Env, T&)> convert_;
  std::unique_ptr<nl::Result<T>> result_;
};

template <typename T>
Napi::Value run(Napi::Env env, std::function<nl::Result<T>()> work, std::function<Napi::Value(Napi::Env, T&)> convert) {
  auto* w = new PromiseWorker<T>(env, std::move(work), std::move(convert));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value undefinedOf(Napi::Env env, nl::Unit&) { return env.Undefined(); }

std::string nameArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "interface name must be a string");
  std::string name = info[i].As<Napi::String>().Utf8Value();
  if (!validInterfaceName(name)) throw Napi::TypeError::New(info.Env(), "invalid interface name");
  return name;
}

// Copies a Uint8Array of exactly `n` bytes and zeroes the JS copy (keys, P6).
template <size_t N>
void bytesArg(Napi::Env env, Napi::Value v, std::array<uint8_t, N>& out, size_t expect, bool wipeSource, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) throw Napi::TypeError::New(env, std::string(what) + " must be a Uint8Array");
  auto arr = v.As<Napi::Uint8Array>();
  if (arr.ByteLength() != expect || expect > N) throw Napi::TypeError::New(env, std::string(what) + " has the wrong length");
  std::memcpy(out.data(), arr.Data(), expect);
  if (wipeSource) ::explicit_bzero(arr.Data(), arr.ByteLength());
}

Napi::Uint8Array toBytes(Napi::Env env, const uint8_t* data, size_t n) {
  auto arr = Napi::Uint8Array::New(env, n);
  std::memcpy(arr.Data(), data, n);
  return arr;
}

uint32_t u32Prop(Napi::Object o, const char* key, uint32_t max) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= max) || d != static_cast<double>(static_cast<uint64_t>(d))) throw Napi::RangeError::New(o.Env(), std::string(key) + " out of range");
  return static_cast<uint32_t>(d);
}

bool boolProp(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

nl::Prefix prefixArg(Napi::Env env, Napi::Value v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "prefix must be an object");
  Napi::Object o = v.As<Napi::Object>();
  nl::Prefix p;
  p.family = static_cast<uint8_t>(u32Prop(o, "family", 10));
  if (p.family != 2 && p.family != 10) throw Napi::TypeError::New(env, "family must be AF_INET or AF_INET6");
  bytesArg(env, o.Get("addr"), p.addr, p.family == 2 ? 4 : 16, false, "addr");
  p.prefixLen = static_cast<uint8_t>(u32Prop(o, "prefix", p.family == 2 ? 32 : 128));
  return p;
}

Napi::Object prefixToJs(Napi::Env env, uint8_t family, const std::array<uint8_t, 16>& addr, uint8_t prefix) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", Napi::Number::New(env, family));
  o.Set("addr", toBytes(env, addr.data(), family == 2 ? 4 : 16));
  o.Set("prefix", Napi::Number::New(env, prefix));
  return o;
}

template <typename T>
const T* flatArg(Napi::Object o, const char* key, size_t count) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(key) + " must be a typed array");
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  if (arr.ElementLength() != count) throw Napi::RangeError::New(env, std::string(key) + " has the wrong length");
  return arr.Data();
}

// The change as flat typed arrays (see NativeDeviceOp in src/native.ts): copied and checked here
// on the JS thread in one pass of memcpy-sized work, so a 100k-peer set does not walk 100k JS
// objects. Secret key bytes in the JS arrays are zeroed after copying.
std::shared_ptr<nl::DeviceOp> deviceOpArg(Napi::Env env, Napi::Value v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "device op must be an object");
  Napi::Object o = v.As<Napi::Object>();
  auto op = std::make_shared<nl::DeviceOp>();
  Napi::Value pk = o.Get("privateKey");
  if (pk.IsNull()) op->privateKey = nl::KeyChange::Remove;
  else if (!pk.IsUndefined()) {
    op->privateKey = nl::KeyChange::Set;
    bytesArg(env, pk, op->privateKeyValue, 32, true, "privateKey");
  }
  if (o.Has("listenPort") && !o.Get("listenPort").IsUndefined()) op->listenPort = static_cast<int32_t>(u32Prop(o, "listenPort", 65535));
  if (o.Has("fwmark") && !o.Get("fwmark").IsUndefined()) op->fwmark = u32Prop(o, "fwmark", 0xffffffffU);
  op->replacePeers = boolProp(o, "replacePeers");
  const size_t n = u32Prop(o, "count", 1U << 24);
  if (n == 0) return op;
  const uint8_t* keys = flatArg<uint8_t>(o, "keys", n * 32);
  const uint8_t* flags = flatArg<uint8_t>(o, "flags", n);
  auto pskArr = o.Get("presharedKeys");
  uint8_t* psks = const_cast<uint8_t*>(flatArg<uint8_t>(o, "presharedKeys", n * 32));
  const uint8_t* endpoints = flatArg<uint8_t>(o, "endpoints", n * 20);
  const uint16_t* keepalive = flatArg<uint16_t>(o, "keepalive", n);
  const uint32_t* ipStart = flatArg<uint32_t>(o, "allowedIpStart", n + 1);
  const size_t m = ipStart[n];
  const uint8_t* ips = flatArg<uint8_t>(o, "allowedIps", m * 19);
  op->peers.resize(n);
  for (size_t i = 0; i < n; ++i) {
    nl::PeerOp& po = op->peers[i];
    const uint8_t f = flags[i];
    std::memcpy(po.publicKey.data(), keys + i * 32, 32);
    po.remove = f & 1;
    po.updateOnly = f & 2;
    po.replaceAllowedIps = f & 4;
    if (f & 8) {
      po.presharedKey = nl::KeyChange::Set;
      std::memcpy(po.presharedKeyValue.data(), psks + i * 32, 32);
    } else if (f & 16) {
      po.presharedKey = nl::KeyChange::Remove;
    }
    if (f & 32) {
      const uint8_t* e = endpoints + i * 20;
      if (e[0] != 2 && e[0] != 10) throw Napi::RangeError::New(env, "endpoint family must be AF_INET or AF_INET6");
      po.endpoint.family = e[0];
      po.endpoint.port = static_cast<uint16_t>((e[2] << 8) | e[3]);
      std::memcpy(po.endpoint.addr.data(), e + 4, 16);
    }
    if (f & 64) po.keepalive = keepalive[i];
    const size_t from = ipStart[i];
    const size_t to = ipStart[i + 1];
    if (from > to || to > m) throw Napi::RangeError::New(env, "allowedIpStart is not monotonic");
    po.allowedIps.resize(to - from);
    for (size_t k = from; k < to; ++k) {
      const uint8_t* x = ips + k * 19;
      nl::AllowedIp& ip = po.allowedIps[k - from];
      ip.family = x[0];
      ip.cidr = x[1];
      ip.remove = x[2] != 0;
      if (!((ip.family == 2 && ip.cidr <= 32) || (ip.family == 10 && ip.cidr <= 128))) throw Napi::RangeError::New(env, "bad allowed IP family or prefix");
      std::memcpy(ip.addr.data(), x + 3, 16);
    }
  }
  ::explicit_bzero(psks, n * 32);
  (void)pskArr;
  return op;
}

template <typename T>
Napi::TypedArrayOf<T> typedArray(Napi::Env env, const std::vector<T>& v) {
  auto arr = Napi::TypedArrayOf<T>::New(env, v.size());
  if (!v.empty()) std::memcpy(arr.Data(), v.data(), v.size() * sizeof(T));
  return arr;
}

// The device as a few flat typed arrays (one memcpy each) instead of an object per peer and per
// prefix: the JS side turns them into DeviceStatus in chunks, so a 100k-peer read never builds
// one giant batch of objects on the JS thread at once.
Napi::Value deviceToJs(Napi::Env env, nl::Device& d) {
  const size_t n = d.peers.size();
  size_t m = 0;
  for (const auto& p : d.peers) m += p.allowedIps.size();
  std::vector<uint8_t> keys(n * 32), psks(n * 32), hasPsk(n), endpoints(n * 20), ips(m * 18);
  std::vector<uint16_t> keepalive(n);
  std::vector<double> hsSec(n), hsNsec(n);
  std::vector<uint64_t> rx(n), tx(n);
  std::vector<uint32_t> proto(n), ipStart(n + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    const nl::Peer& p = d.peers[i];
    std::memcpy(&keys[i * 32], p.publicKey.data(), 32);
    if (p.hasPresharedKey) {
      std::memcpy(&psks[i * 32], p.presharedKey.data(), 32);
      hasPsk[i] = 1;
    }
    uint8_t* e = &endpoints[i * 20];
    e[0] = p.endpoint.family;
    e[2] = static_cast<uint8_t>(p.endpoint.port >> 8);
    e[3] = static_cast<uint8_t>(p.endpoint.port);
    std::memcpy(e + 4, p.endpoint.addr.data(), 16);
    keepalive[i] = p.keepalive;
    hsSec[i] = static_cast<double>(p.handshakeSec);
    hsNsec[i] = static_cast<double>(p.handshakeNsec);
    rx[i] = p.rxBytes;
    tx[i] = p.txBytes;
    proto[i] = p.protocolVersion;
    ipStart[i] = static_cast<uint32_t>(k);
    for (const auto& ip : p.allowedIps) {
      uint8_t* x = &ips[k * 18];
      x[0] = ip.family;
      x[1] = ip.cidr;
      std::memcpy(x + 2, ip.addr.data(), 16);
      ++k;
    }
  }
  ipStart[n] = static_cast<uint32_t>(k);
  Napi::Object o = Napi::Object::New(env);
  o.Set("ifindex", Napi::Number::New(env, d.ifindex));
  o.Set("ifname", Napi::String::New(env, d.ifname));
  o.Set("privateKey", d.hasPrivateKey ? toBytes(env, d.privateKey.data(), 32) : env.Null());
  o.Set("publicKey", d.hasPublicKey ? toBytes(env, d.publicKey.data(), 32) : env.Null());
  o.Set("listenPort", Napi::Number::New(env, d.listenPort));
  o.Set("fwmark", Napi::Number::New(env, d.fwmark));
  o.Set("count", Napi::Number::New(env, static_cast<double>(n)));
  o.Set("keys", typedArray(env, keys));
  o.Set("presharedKeys", typedArray(env, psks));
  o.Set("hasPresharedKey", typedArray(env, hasPsk));
  o.Set("endpoints", typedArray(env, endpoints));
  o.Set("keepalive", typedArray(env, keepalive));
  o.Set("handshakeSec", typedArray(env, hsSec));
  o.Set("handshakeNsec", typedArray(env, hsNsec));
  o.Set("rxBytes", typedArray(env, rx));
  o.Set("txBytes", typedArray(env, tx));
  o.Set("protocolVersion", typedArray(env, proto));
  o.Set("allowedIpStart", typedArray(env, ipStart));
  o.Set("allowedIps", typedArray(env, ips));
  ::explicit_bzero(psks.data(), psks.size());
  return o;
}

// Resolves a link name to its index inside a worker (ENODEV when missing).
nl::Result<uint32_t> indexOf(nl::Rtnl& rt, const std::string& name) {
  auto li = rt.getLink(name);
  if (!li.ok()) return li.error();
  return li.value().index;
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
                           InstanceMethod("ping", &NativeBackend::Ping),
                           InstanceMethod("close", &NativeBackend::Close),
                       });
  }

  explicit NativeBackend(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeBackend>(info), core_(std::make_shared<Core>()) {}

 private:
  std::shared_ptr<Core> core_;

  struct GenlState {
    bool available;
    std::string reason;
  };

  Napi::Value GenlStatus(const Napi::CallbackInfo& info) {
    auto core = core_;
    return run<GenlState>(
        info.Env(),
        [core]() -> nl::Result<GenlState> {
          std::lock_guard<std::mutex> lock(core->mutex());
          auto wg = core->wireguard();
          if (wg.ok()) return GenlState{true, "the wireguard generic netlink family is present"};
          const auto& e = wg.error();
          if (e.err == ENOENT) return GenlState{false, "the wireguard generic netlink family is missing (modprobe wireguard)"};
          // No generic netlink here at all (some sandboxes and emulators): unavailable, not a crash.
          if (e.syscall == "socket") return GenlState{false, std::string("cannot open a generic netlink socket: ") + std::strerror(e.err)};
          return e;
        },
        [](Napi::Env env, GenlState& s) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("available", Napi::Boolean::New(env, s.available));
          o.Set("reason", Napi::String::New(env, s.reason));
          return o;
        });
  }

  static Napi::Object linkToJs(Napi::Env env, const nl::LinkInfo& l) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", Napi::Number::New(env, l.index));
    o.Set("name", Napi::String::New(env, l.name));
    o.Set("kind", Napi::String::New(env, l.kind));
    o.Set("mtu", Napi::Number::New(env, l.mtu));
    o.Set("up", Napi::Boolean::New(env, l.up));
    return o;
  }

  Napi::Value ListLinks(const Napi::CallbackInfo& info) {
    auto core = core_;
    return run<std::vector<nl::LinkInfo>>(
        info.Env(),
        [core]() -> nl::Result<std::vector<nl::LinkInfo>> {
          std::lock_guard<std::mutex> lock(core->mutex());
          auto rt = core->rtnl();
          if (!rt.ok()) return rt.error();
          return rt.value()->listLinks();
        },
        [](Napi::Env env, std::vector<nl::LinkInfo>& links) -> Napi::Value {
          Napi::Array a = Napi::Array::New(env, links.size());
          for (size_t i = 0; i < links.size(); ++i) a.Set(static_cast<uint32_t>(i), linkToJs(env, links[i]));
          return a;
        });
  }

  Napi::Value GetLink(const Napi::CallbackInfo& info) {
    std::string name = nameArg(info, 0);
    auto core = core_;
    return run<nl::LinkInfo>(
        info.Env(),
        [core, name]() -> nl::Result<nl::LinkInfo> {
          std::lock_guard<std::mutex> lock(core->mutex());
          auto rt = core->rtnl();
          if (!rt.ok()) return rt.error();
          return rt.value()->getLink(name);
        },
        [](Napi::Env env, nl::LinkInfo& l) -> Napi::Value { return linkToJs(env, l); });
  }

  // Runs `fn(rtnl, index)` for the link `name` in a worker; `convert` turns the result into JS.
  template <typename T>
  Napi::Value onLink(const Napi::CallbackInfo& info, std::function<nl::Result<T>(nl::Rtnl&, uint32_t)> fn, Napi::Value (*convert)(Napi::Env, T&)) {
    std::string name = nameArg(info, 0);
    auto core = core_;
    return run<T>(
        info.Env(),
        [core, name, fn]() -> nl::Result<T> {
          std::lock_guard<std::mutex> lock(core->mutex());
          auto rt = core->rtnl();
          if (!rt.ok()) return rt.error();
          auto idx = indexOf(*rt.value(), name);
          if (!idx.ok()) return idx.error();
          return fn(*rt.value(), idx.value());
        },
        convert);
  }

  Napi::Value withLink(const Napi::CallbackInfo& info, std::function<nl::Status(nl::Rtnl&, uint32_t)> fn) { return onLink<nl::Unit>(info, fn, undefinedOf); }

  Napi::Value listPrefixes(const Napi::CallbackInfo& info, std::function<nl::Result<std::vector<nl::Prefix>>(nl::Rtnl&, uint32_t)> fn) {
    return onLink<std::vector<nl::Prefix>>(info, fn, prefixesToJs);
  }

  // `fn(index, prefix)` for the link `name` (argument 0) and the prefix in argument 1.
  Napi::Value withLinkPrefix(const Napi::CallbackInfo& info, nl::Status (nl::Rtnl::*fn)(uint32_t, const nl::Prefix&)) {
    nl::Prefix p = prefixArg(info.Env(), info[1]);
    return withLink(info, [p, fn](nl::Rtnl& rt, uint32_t index) { return (rt.*fn)(index, p); });
  }

  Napi::Value CreateLink(const Napi::CallbackInfo& info) {
    std::string name = nameArg(info, 0);
    auto core = core_;
    return run<nl::Unit>(
        info.Env(),
        [core, name]() -> nl::Status {
          std::lock_guard<std::mutex> lock(core->mutex());
          auto rt = core->rtnl();
          if (!rt.ok()) return rt.error();
          return rt.value()->createWireGuard(name);
        },
        undefinedOf);
  }

  Napi::Value DeleteLink(const Napi::CallbackInfo& info) {
    return withLink(info, [](nl::Rtnl& rt, uint32_t index) { return rt.deleteLink(index); });
  }

  // getDevice(name, statsOnly?): statsOnly leaves out allowed IPs (the monitoring fast path).
  Napi::Value GetDevice(const Napi::CallbackInfo& info) {
    std::string name = nameArg(info, 0);
    bool statsOnly = info.Length() > 1 && info[1].ToBoolean().Value();
    auto core = core_;
    return run<nl::Device>(
        info.Env(),
        [core, name, statsOnly]() -> nl::Result<nl::Device> {
          std::lock_guard<std::mutex> lock(core->mutex());
          auto wg = core->wireguard();
          if (!wg.ok()) return wg.error();
          return wg.value()->getDevice(name, 10, statsOnly);
        },
        deviceToJs);
  }

  struct SetResult {
    std::vector<size_t> endPeer;
  };

  Napi::Value SetDevice(const Napi::CallbackInfo& info) {
    std::string name = nameArg(info, 0);
    std::shared_ptr<nl::DeviceOp> op = deviceOpArg(info.Env(), info[1]);
    op->ifname = name;
    size_t capacity = 0;
    if (info.Length() > 2 && info[2].IsNumber()) capacity = static_cast<size_t>(info[2].As<Napi::Number>().Uint32Value());
    auto core = core_;
    auto ends = std::make_shared<std::vector<size_t>>();
    auto* w = new PromiseWorker<nl::Unit>(
        info.Env(),
        [core, op, ends, capacity]() -> nl::Status {
          std::lock_guard<std::mutex> lock(core->mutex());
          auto wg = core->wireguard();
          if (!wg.ok()) return wg.error();
          nl::Status s = wg.value()->setDevice(*op, ends.get(), capacity);
          if (!s.ok()) {
            // Report applied peer operations as appliedMessages → ops, via the ends table.
            auto e = s.error();
            e.appliedPeers = e.appliedMessages == 0 || ends->empty() ? 0 : (*ends)[std::min(e.appliedMessages, ends->size()) - 1];
            return e;
          }
          return s;
        },
        [ends](Napi::Env env, nl::Unit&) -> Napi::Value { return Napi::Number::New(env, static_cast<double>(ends->size())); });
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value ListAddresses(const Napi::CallbackInfo& info) {
    return listPrefixes(info, [](nl::Rtnl& rt, uint32_t index) { return rt.listAddresses(index); });
  }

  static Napi::Value prefixesToJs(Napi::Env env, std::vector<nl::Prefix>& list) {
    Napi::Array a = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) a.Set(static_cast<uint32_t>(i), prefixToJs(env, list[i].family, list[i].addr, list[i].prefixLen));
    return a;
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

  Napi::Value Ping(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[2].IsNumber()) throw Napi::TypeError::New(env, "ping(family, addr, timeoutMs)");
    uint8_t family = static_cast<uint8_t>(info[0].As<Napi::Number>().Uint32Value());
    if (family != 2 && family != 10) throw Napi::TypeError::New(env, "family must be AF_INET or AF_INET6");
    std::array<uint8_t, 16> addr{};
    bytesArg(env, info[1], addr, family == 2 ? 4 : 16, false, "addr");
    int timeout = static_cast<int>(info[2].As<Napi::Number>().Int32Value());
    return run<double>(
        env, [family, addr, timeout]() { return nl::ping(family, addr, timeout); },
        [](Napi::Env e, double& ms) -> Napi::Value { return ms < 0 ? e.Null() : Napi::Number::New(e, ms); });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    auto core = core_;
    return run<nl::Unit>(
        info.Env(),
        [core]() -> nl::Status {
          std::lock_guard<std::mutex> lock(core->mutex());
          core->close();
          return nl::okStatus();
        },
        undefinedOf);
  }
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeBackend", NativeBackend::Init(env));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace lanrage::binding

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return lanrage::binding::Init(env, exports); }

NODE_API_MODULE(lanrage_netlink, InitModule)
