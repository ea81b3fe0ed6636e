#include "errors.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace lanrage::binding {

namespace {

// glibc's own name for an errno ("EADDRINUSE"), as Node's fs errors carry: one source instead of
// a hand-kept table (strerrorname_np is glibc 2.32, below the prebuilds' 2.35 floor).
const char* errnoName(int e) {
  const char* name = ::strerrorname_np(e);
  return name != nullptr ? name : "EUNKNOWN";
}

}  // namespace

Napi::Error toJsError(Napi::Env env, const nl::NetlinkError& e) {
  std::string msg = e.message.empty() ? std::string("netlink error") : e.message;
  msg += ": ";
  msg += std::strerror(e.err);
  if (!e.extack.empty()) msg += " (" + e.extack + ")";
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, errnoName(e.err)));
  err.Set("errno", Napi::Number::New(env, e.err));
  err.Set("syscall", Napi::String::New(env, e.syscall));
  if (!e.extack.empty()) err.Set("extack", Napi::String::New(env, e.extack));
  err.Set("appliedMessages", Napi::Number::New(env, static_cast<double>(e.appliedMessages)));
  err.Set("appliedPeers", Napi::Number::New(env, static_cast<double>(e.appliedPeers)));
  return err;
}

}  // namespace lanrage::binding
