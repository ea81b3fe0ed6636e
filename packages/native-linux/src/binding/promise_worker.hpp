#pragma once
// A Promise settled by work on Node's thread pool: for calls that may block for their whole
// timeout (ping) and so must not hold up the backend's I/O thread.
#include <napi.h>

#include <functional>
#include <memory>
#include <utility>

#include "../netlink/error.hpp"
#include "settle.hpp"

namespace lanrage::binding {

template <typename T>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::function<nl::Result<T>()> work, std::function<Napi::Value(Napi::Env, T&)> convert)
      : Napi::AsyncWorker(env, "lanrage.netlink"), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), convert_(std::move(convert)) {}

  static Napi::Value run(Napi::Env env, std::function<nl::Result<T>()> work, std::function<Napi::Value(Napi::Env, T&)> convert) {
    auto* w = new PromiseWorker<T>(env, std::move(work), std::move(convert));
    Napi::Promise p = w->deferred_.Promise();
    w->Queue();
    return p;
  }

  void Execute() override { result_ = std::make_unique<nl::Result<T>>(work_()); }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    settle(env, deferred_, *result_, convert_);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<nl::Result<T>()> work_;
  std::function<Napi::Value(Napi::Env, T&)> convert_;
  std::unique_ptr<nl::Result<T>> result_;
};

}  // namespace lanrage::binding
