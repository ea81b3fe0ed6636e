#include "js_convert.hpp"

#include <cstring>

#include "core.hpp"

namespace lanrage::binding {

std::string nameArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "interface name must be a string");
  std::string name = info[i].As<Napi::String>().Utf8Value();
  if (!validInterfaceName(name)) {
    // The code lets the TypeScript side type it (INVALID_INTERFACE_NAME) without matching a message.
    Napi::Error e = Napi::TypeError::New(info.Env(), "invalid interface name");
    e.Value().Set("code", Napi::String::New(info.Env(), "INVALID_INTERFACE_NAME"));
    throw e;
  }
  return name;
}

template <size_t N>
void bytesArg(Napi::Env env, Napi::Value v, std::array<uint8_t, N>& out, size_t expect, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) throw Napi::TypeError::New(env, std::string(what) + " must be a Uint8Array");
  auto arr = v.As<Napi::Uint8Array>();
  if (arr.ByteLength() != expect || expect > N) throw Napi::TypeError::New(env, std::string(what) + " has the wrong length");
  std::memcpy(out.data(), arr.Data(), expect);
}
template void bytesArg<16>(Napi::Env, Napi::Value, std::array<uint8_t, 16>&, size_t, const char*);

namespace {

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

Napi::Object prefixToJs(Napi::Env env, uint8_t family, const std::array<uint8_t, 16>& addr, uint8_t prefix) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", Napi::Number::New(env, family));
  o.Set("addr", toBytes(env, addr.data(), family == 2 ? 4 : 16));
  o.Set("prefix", Napi::Number::New(env, prefix));
  return o;
}

template <typename T>
Napi::TypedArrayOf<T> typedArray(Napi::Env env, const std::vector<T>& v) {
  auto arr = Napi::TypedArrayOf<T>::New(env, v.size());
  if (!v.empty()) std::memcpy(arr.Data(), v.data(), v.size() * sizeof(T));
  return arr;
}

}  // namespace

nl::Prefix prefixArg(Napi::Env env, Napi::Value v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "prefix must be an object");
  Napi::Object o = v.As<Napi::Object>();
  nl::Prefix p;
  p.family = static_cast<uint8_t>(u32Prop(o, "family", 10));
  if (p.family != 2 && p.family != 10) throw Napi::TypeError::New(env, "family must be AF_INET or AF_INET6");
  bytesArg(env, o.Get("addr"), p.addr, p.family == 2 ? 4 : 16, "addr");
  p.prefixLen = static_cast<uint8_t>(u32Prop(o, "prefix", p.family == 2 ? 32 : 128));
  return p;
}

std::vector<nl::Prefix> prefixListArg(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array of prefixes");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<nl::Prefix> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(prefixArg(env, a.Get(i)));
  return out;
}

Napi::Value prefixesToJs(Napi::Env env, std::vector<nl::Prefix>& list) {
  Napi::Array a = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) a.Set(static_cast<uint32_t>(i), prefixToJs(env, list[i].family, list[i].addr, list[i].prefixLen));
  return a;
}

Napi::Object linkToJs(Napi::Env env, const nl::LinkInfo& l) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", Napi::Number::New(env, l.index));
  o.Set("name", Napi::String::New(env, l.name));
  o.Set("kind", Napi::String::New(env, l.kind));
  o.Set("mtu", Napi::Number::New(env, l.mtu));
  o.Set("up", Napi::Boolean::New(env, l.up));
  return o;
}

Napi::Value linksToJs(Napi::Env env, std::vector<nl::LinkInfo>& links) {
  Napi::Array a = Napi::Array::New(env, links.size());
  for (size_t i = 0; i < links.size(); ++i) a.Set(static_cast<uint32_t>(i), linkToJs(env, links[i]));
  return a;
}

Napi::Value undefinedOf(Napi::Env env, nl::Unit&) { return env.Undefined(); }

Napi::Value deviceToJs(Napi::Env env, codec::FlatDevice& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ifindex", Napi::Number::New(env, d.ifindex));
  o.Set("ifname", Napi::String::New(env, d.ifname));
  o.Set("privateKey", d.hasPrivateKey ? toBytes(env, d.privateKey.data(), 32) : env.Null());
  o.Set("publicKey", d.hasPublicKey ? toBytes(env, d.publicKey.data(), 32) : env.Null());
  o.Set("listenPort", Napi::Number::New(env, d.listenPort));
  o.Set("fwmark", Napi::Number::New(env, d.fwmark));
  o.Set("count", Napi::Number::New(env, static_cast<double>(d.count)));
  o.Set("keys", typedArray(env, d.keys));
  o.Set("presharedKeys", typedArray(env, d.presharedKeys));
  o.Set("hasPresharedKey", typedArray(env, d.hasPresharedKey));
  o.Set("endpoints", typedArray(env, d.endpoints));
  o.Set("keepalive", typedArray(env, d.keepalive));
  o.Set("handshakeSec", typedArray(env, d.handshakeSec));
  o.Set("handshakeNsec", typedArray(env, d.handshakeNsec));
  o.Set("rxBytes", typedArray(env, d.rxBytes));
  o.Set("txBytes", typedArray(env, d.txBytes));
  o.Set("protocolVersion", typedArray(env, d.protocolVersion));
  o.Set("allowedIpStart", typedArray(env, d.allowedIpStart));
  o.Set("allowedIps", typedArray(env, d.allowedIps));
  return o;
}

}  // namespace lanrage::binding
