#include "backend_io.hpp"

#include <sched.h>

namespace lanrage::binding {

// What the I/O thread, the thread-safe function and the JS object share. Destroyed when the
// last of them lets go; the thread is joined before the thread-safe function can be finalized.
struct BackendIo::Shared {
  explicit Shared(std::chrono::nanoseconds pollCap)
      : queue([this] { napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking); }, pollCap) {}
  Core core;  // the sockets: used by the I/O thread only
  napi_threadsafe_function tsfn = nullptr;
  IoQueue<JsJob> queue;
  size_t outstanding = 0;   // JS thread only
  bool finalized = false;   // JS thread only
  bool released = false;    // JS thread only
};

namespace {

// Polling only pays with a CPU to spare: on one CPU it would take time from the JS thread
// that is about to submit the job it waits for.
std::chrono::nanoseconds pollCapFor(std::chrono::microseconds wanted) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < 2) return std::chrono::nanoseconds::zero();
  return wanted;
}

}  // namespace

BackendIo::BackendIo(std::chrono::microseconds pollCap) : shared_(std::make_shared<Shared>(pollCapFor(pollCap))) {}

BackendIo::~BackendIo() { release(); }

Core& BackendIo::core() { return shared_->core; }

void BackendIo::release() {
  Shared& s = *shared_;
  s.queue.stop();
  if (s.tsfn && !s.finalized && !s.released) {
    s.released = true;
    napi_release_threadsafe_function(s.tsfn, napi_tsfn_release);
  }
}

void BackendIo::submit(Napi::Env env, std::unique_ptr<JsJob> job, bool thenRetire) {
  Shared& s = *shared_;
  if (s.finalized || s.released) throw Napi::Error::New(env, "the native backend is shutting down");
  if (!s.tsfn) {
    auto* context = new std::shared_ptr<Shared>(shared_);
    napi_status st = napi_create_threadsafe_function(env, nullptr, nullptr, Napi::String::New(env, "lanrage.netlink"), 0, 1, context, finalize, context, callJs, &s.tsfn);
    if (st != napi_ok) {
      delete context;
      s.tsfn = nullptr;
      throw Napi::Error::New(env, "cannot create the completion channel");
    }
    napi_unref_threadsafe_function(env, s.tsfn);
  }
  if (s.outstanding++ == 0) napi_ref_threadsafe_function(env, s.tsfn);
  if (!s.queue.submit(std::move(job), thenRetire)) {
    --s.outstanding;
    throw Napi::Error::New(env, "the native backend is shutting down");
  }
}

void BackendIo::callJs(napi_env rawEnv, napi_value, void* context, void*) {
  // A null env means teardown: Node drains the calls still queued after finalize() has run
  // and freed `context`, so it must not be touched (nothing can settle now anyway).
  if (rawEnv == nullptr) return;
  Shared& s = **static_cast<std::shared_ptr<Shared>*>(context);
  auto jobs = s.queue.takeDone();
  if (jobs.empty()) return;
  Napi::Env env(rawEnv);
  s.outstanding -= jobs.size();
  for (auto& job : jobs) {
    // This is a C callback: no C++ exception may leave it. One can come from node-addon-api
    // when the environment is being torn down (a worker terminated with calls in flight) and
    // JS can no longer run; the remaining promises are then dropped with their environment.
    try {
      Napi::HandleScope scope(env);
      job->settle(env);
    } catch (...) {
      return;
    }
  }
  if (s.outstanding == 0) napi_unref_threadsafe_function(env, s.tsfn);
}

void BackendIo::finalize(napi_env, void* data, void*) {
  auto* holder = static_cast<std::shared_ptr<Shared>*>(data);
  (*holder)->queue.stop();
  (*holder)->finalized = true;
  delete holder;
}

}  // namespace lanrage::binding
