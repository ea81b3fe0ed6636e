#pragma once
// One I/O thread per backend, fed by a FIFO queue: socket work never runs on the JS thread,
// operations on one backend run in call order, and finished jobs are handed back in batches.
// Pure C++ (no napi.h): the binding supplies `wake`, which tells the JS thread to call
// takeDone(). A per-call thread-pool hop (AsyncWorker) cost ~180 µs in the VM; this costs a
// condition-variable wake each way, and none towards the I/O thread while it polls (see
// poll_window.hpp).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <pthread.h>

#include "poll_window.hpp"

namespace lanrage::binding {

// The name of every backend's I/O thread (at most 15 characters: the kernel's comm limit).
inline constexpr char kIoThreadName[] = "lanrage-io";

// Job needs `void run()`, called once on the I/O thread.
template <typename Job>
class IoQueue {
 public:
  // `wake` runs on the I/O thread each time finished jobs land in an empty done list, so a
  // burst of completions costs one wake, not one each.
  // `pollCap` bounds the busy-poll for the next job (0: never poll; see PollWindow).
  explicit IoQueue(std::function<void()> wake, std::chrono::nanoseconds pollCap = std::chrono::nanoseconds::zero())
      : wake_(std::move(wake)), poll_(pollCap) {}
  ~IoQueue() { stop(); }
  IoQueue(const IoQueue&) = delete;
  IoQueue& operator=(const IoQueue&) = delete;

  // Queues `job`, starting the thread when none runs. With `thenRetire` the thread ends after
  // this job if nothing else is queued by then (a closed backend keeps no thread; the next
  // job starts one again). After stop(), jobs are refused (false).
  bool submit(std::unique_ptr<Job> job, bool thenRetire = false) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return false;
      pending_.push_back(Entry{std::move(job), thenRetire});
      signal_.store(true, std::memory_order_release);
      if (!running_) {
        // A retired thread set running_ under this lock and needs it no more: the join is short.
        if (thread_.joinable()) thread_.join();
        thread_ = std::thread([this] {
          // Named, so ps/top/gdb (and the tests, which count I/O threads) can tell it apart.
          pthread_setname_np(pthread_self(), kIoThreadName);
          loop();
        });
        running_ = true;
      }
    }
    cv_.notify_one();
    return true;
  }

  // The finished jobs, oldest first.
  std::vector<std::unique_ptr<Job>> takeDone() {
    std::vector<std::unique_ptr<Job>> out;
    std::lock_guard<std::mutex> lock(mutex_);
    out.swap(done_);
    return out;
  }

  // Runs every queued job, then joins the thread. Idempotent.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      signal_.store(true, std::memory_order_release);
    }
    cv_.notify_one();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (pending_.empty() && !stopping_) waitForWork(lock);
      if (pending_.empty()) {  // stopping, and everything queued has run
        running_ = false;
        return;
      }
      Entry entry = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      entry.job->run();
      lock.lock();
      const bool first = done_.empty();
      done_.push_back(std::move(entry.job));
      if (first) {
        lock.unlock();
        wake_();
        lock.lock();
      }
      if (entry.retire && pending_.empty()) {
        running_ = false;
        return;
      }
    }
  }

  // Polls (lock released) while the window lasts, then sleeps; feeds the gap back to the window.
  void waitForWork(std::unique_lock<std::mutex>& lock) {
    using Clock = std::chrono::steady_clock;
    const auto idleFrom = Clock::now();
    bool caught = false;
    const auto window = poll_.current();
    if (window.count() > 0) {
      signal_.store(false, std::memory_order_relaxed);  // under the lock: submit() sets it under the same lock
      lock.unlock();
      const auto until = idleFrom + window;
      while (!(caught = signal_.load(std::memory_order_acquire)) && Clock::now() < until) cpuRelax();
      lock.lock();
    }
    cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (!pending_.empty()) poll_.observe(Clock::now() - idleFrom, caught);
  }

  std::function<void()> wake_;
  PollWindow poll_;
  std::atomic<bool> signal_{false};  // set by submit() and stop(): what the poll watches
  std::mutex mutex_;
  std::condition_variable cv_;
  struct Entry {
    std::unique_ptr<Job> job;
    bool retire;
  };
  std::deque<Entry> pending_;
  std::vector<std::unique_ptr<Job>> done_;
  bool stopping_ = false;
  bool running_ = false;  // a thread runs loop() (thread_ may still hold a retired one to join)
  std::thread thread_;
};

}  // namespace lanrage::binding
