#pragma once
// How long the I/O thread busy-polls for its next job before it sleeps. A sleeping thread costs
// every job a wake: a futex wake for the submitter and an idle-state exit for the CPU (in the
// VM, waking halted vCPUs was about half the time of a sequential add). When jobs come
// back to back (an awaited add, then the next) a short poll catches the next one awake.
// The window follows the gaps seen, as the kernel's haltpoll governor does: a job that came
// soon after the thread fell asleep grows the window to twice that gap (up to a cap); a long
// gap halves it, so a backend that goes quiet stops polling after a few jobs, having spent at
// most twice the cap on it. Pure C++: no napi.h, no clock of its own (tests feed it gaps).
#include <algorithm>
#include <chrono>

namespace lanrage::binding {

class PollWindow {
 public:
  using Duration = std::chrono::nanoseconds;

  // cap 0 turns polling off.
  explicit PollWindow(Duration cap) : cap_(std::max(cap, Duration::zero())) {}

  // How long to poll now (0: sleep at once).
  Duration current() const { return window_; }

  // The thread was idle for `gap` before the next job came; `caught` when it was still polling.
  void observe(Duration gap, bool caught) {
    if (caught) return;  // the window was long enough
    if (gap <= cap_) {
      window_ = std::min(cap_, 2 * gap);
    } else {
      window_ /= 2;
      if (window_ < kFloor) window_ = Duration::zero();
    }
  }

 private:
  // Below this a poll is not worth starting (a futex wake costs about as much natively).
  static constexpr Duration kFloor = std::chrono::microseconds(2);
  Duration cap_;
  Duration window_{0};
};

// A spin-loop hint: lets the sibling hyperthread run and saves power while polling.
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace lanrage::binding
