#pragma once
// How one NativeBackend runs its socket work: jobs go to the backend's own I/O thread (see
// io_queue.hpp) and come back through one thread-safe function, which settles every finished
// job's Promise in one JS-thread visit. While no job is outstanding the thread-safe function
// is unreferenced, so an idle backend never keeps the process alive.
#include <napi.h>

#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include "../netlink/error.hpp"
#include "core.hpp"
#include "io_queue.hpp"
#include "settle.hpp"

namespace lanrage::binding {

// A unit of work: run() on the I/O thread, settle() on the JS thread.
class JsJob {
 public:
  virtual ~JsJob() = default;
  virtual void run() = 0;
  virtual void settle(Napi::Env env) = 0;
};

// Runs work(core) and settles a Promise with convert(env, value) or the netlink error.
template <typename T>
class PromiseJob : public JsJob {
 public:
  using Work = std::function<nl::Result<T>(Core&)>;
  using Convert = std::function<Napi::Value(Napi::Env, T&)>;

  PromiseJob(Napi::Env env, Core& core, Work work, Convert convert)
      : deferred_(Napi::Promise::Deferred::New(env)), core_(core), work_(std::move(work)), convert_(std::move(convert)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void run() override { result_ = std::make_unique<nl::Result<T>>(work_(core_)); }

  void settle(Napi::Env env) override { binding::settle(env, deferred_, *result_, convert_); }

 private:
  Napi::Promise::Deferred deferred_;
  Core& core_;
  Work work_;
  Convert convert_;
  std::unique_ptr<nl::Result<T>> result_;
};

class BackendIo {
 public:
  // pollCap: the longest the I/O thread busy-polls for a next job (see poll_window.hpp).
  explicit BackendIo(std::chrono::microseconds pollCap);
  ~BackendIo();
  BackendIo(const BackendIo&) = delete;
  BackendIo& operator=(const BackendIo&) = delete;

  // Queues work on the I/O thread; the Promise settles on the JS thread. With `thenRetire`
  // the thread ends after it unless more work was queued (see IoQueue::submit).
  template <typename T>
  Napi::Value run(Napi::Env env, typename PromiseJob<T>::Work work, typename PromiseJob<T>::Convert convert, bool thenRetire = false) {
    auto job = std::make_unique<PromiseJob<T>>(env, core(), std::move(work), std::move(convert));
    Napi::Promise p = job->promise();
    submit(env, std::move(job), thenRetire);
    return p;
  }

  // From the owning JS object's finalizer: finishes queued work, then lets go of the
  // thread-safe function (its queued completions still settle).
  void release();

 private:
  struct Shared;
  Core& core();
  void submit(Napi::Env env, std::unique_ptr<JsJob> job, bool thenRetire);
  static void callJs(napi_env env, napi_value, void* context, void*);
  static void finalize(napi_env, void* data, void*);

  std::shared_ptr<Shared> shared_;
};

}  // namespace lanrage::binding
