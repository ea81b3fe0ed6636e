#include "errors.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace lanrage::binding {

namespace {

const char* errnoName(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EPROTO: return "EPROTO";
    case EMSGSIZE: return "EMSGSIZE";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EPFNOSUPPORT: return "EPFNOSUPPORT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETUNREACH: return "ENETUNREACH";
    case ENOBUFS: return "ENOBUFS";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ESRCH: return "ESRCH";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOKEY: return "ENOKEY";
    default: return "EUNKNOWN";
  }
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
