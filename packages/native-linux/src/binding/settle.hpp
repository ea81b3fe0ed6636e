#pragma once
// Settles a Promise from a netlink result: rejects with the mapped error, or resolves with
// convert(value) (a conversion that throws rejects instead). Shared by both ways a binding
// call completes (the backend's I/O thread and Node's thread pool).
#include <napi.h>

#include <functional>

#include "../netlink/error.hpp"
#include "errors.hpp"

namespace lanrage::binding {

template <typename T>
void settle(Napi::Env env, Napi::Promise::Deferred& deferred, nl::Result<T>& result, const std::function<Napi::Value(Napi::Env, T&)>& convert) {
  if (!result.ok()) {
    deferred.Reject(toJsError(env, result.error()).Value());
    return;
  }
  try {
    deferred.Resolve(convert(env, result.value()));
  } catch (const Napi::Error& e) {
    deferred.Reject(e.Value());
  }
}

}  // namespace lanrage::binding
