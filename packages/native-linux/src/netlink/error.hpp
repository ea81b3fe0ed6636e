#pragma once
// Errors of the netlink core: an errno, the system call that failed, and the kernel's
// extended-ack text. No exceptions cross this layer's API; callers get Result<T>.
#include <string>
#include <utility>
#include <variant>

namespace lanrage::nl {

struct NetlinkError {
  int err = 0;              // positive errno
  std::string syscall;      // "sendmsg", "recvmsg", "socket", "netlink" (kernel answer), "parse"
  std::string extack;       // kernel extended-ack message, if any
  std::string message;      // our own context, e.g. "CTRL_CMD_GETFAMILY wireguard"
  // Which messages of a multi-message SET were acknowledged before this error.
  size_t appliedMessages = 0;
  // How many peer operations those messages completed.
  size_t appliedPeers = 0;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT(google-explicit-constructor)
  Result(NetlinkError error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)
  bool ok() const { return std::holds_alternative<T>(v_); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  NetlinkError& error() { return std::get<NetlinkError>(v_); }
  const NetlinkError& error() const { return std::get<NetlinkError>(v_); }

 private:
  std::variant<T, NetlinkError> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status okStatus() { return Unit{}; }

inline NetlinkError makeError(int err, std::string syscall, std::string message, std::string extack = {}) {
  NetlinkError e;
  e.err = err;
  e.syscall = std::move(syscall);
  e.message = std::move(message);
  e.extack = std::move(extack);
  return e;
}

}  // namespace lanrage::nl
