// The backend's I/O queue: jobs run in submission order on one thread other than the caller's,
// a burst of completions costs few wakes, and stop() runs everything queued before joining.
#include <gtest/gtest.h>
#include <pthread.h>

#include <ctime>
#include <dirent.h>

#include <fstream>
#include <string>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "binding/io_queue.hpp"

using lanrage::binding::IoQueue;
using lanrage::binding::kIoThreadName;

namespace {

struct Job {
  int id;
  std::vector<int>* order;
  std::set<std::thread::id>* threads;
  std::mutex* m;
  int sleepMs = 0;
  void run() {
    if (sleepMs) std::this_thread::sleep_for(std::chrono::milliseconds(sleepMs));
    std::lock_guard<std::mutex> lock(*m);
    order->push_back(id);
    threads->insert(std::this_thread::get_id());
  }
};

}  // namespace

TEST(IoQueue, RunsJobsInOrderOnOneOtherThread) {
  std::vector<int> order;
  std::set<std::thread::id> threads;
  std::mutex m;
  std::atomic<int> wakes{0};
  std::vector<int> done;
  {
    IoQueue<Job> q([&] { wakes++; });
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.submit(std::make_unique<Job>(Job{i, &order, &threads, &m})));
    q.stop();
    for (auto& j : q.takeDone()) done.push_back(j->id);
    EXPECT_FALSE(q.submit(std::make_unique<Job>(Job{-1, &order, &threads, &m})));  // refused after stop
  }
  ASSERT_EQ(order.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(order[i], i);
  EXPECT_EQ(done, order);  // finished jobs come back oldest first
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  EXPECT_GE(wakes.load(), 1);
  EXPECT_LE(wakes.load(), 1000);
}

TEST(IoQueue, WakesOnlyWhenTheDoneListWasEmpty) {
  std::vector<int> order;
  std::set<std::thread::id> threads;
  std::mutex m;
  std::atomic<int> wakes{0};
  IoQueue<Job> q([&] { wakes++; });
  // Nobody takes the finished jobs, so only the first completion wakes.
  for (int i = 0; i < 50; ++i) q.submit(std::make_unique<Job>(Job{i, &order, &threads, &m}));
  q.stop();
  EXPECT_EQ(wakes.load(), 1);
  EXPECT_EQ(q.takeDone().size(), 50u);
}

TEST(IoQueue, StopFinishesQueuedWorkAndIsIdempotent) {
  std::vector<int> order;
  std::set<std::thread::id> threads;
  std::mutex m;
  IoQueue<Job> q([] {});
  for (int i = 0; i < 5; ++i) q.submit(std::make_unique<Job>(Job{i, &order, &threads, &m, 5}));
  q.stop();
  q.stop();
  EXPECT_EQ(order.size(), 5u);
}

// ---- busy-polling for the next job (poll_window.hpp) ----

using lanrage::binding::PollWindow;
using std::chrono::microseconds;

TEST(PollWindow, StartsClosedAndOffWithoutACap) {
  PollWindow off(microseconds(0));
  off.observe(microseconds(10), false);
  EXPECT_EQ(off.current().count(), 0);
  EXPECT_EQ(PollWindow(microseconds(500)).current().count(), 0);
}

TEST(PollWindow, GrowsToTwiceAShortGapUpToTheCap) {
  PollWindow w(microseconds(500));
  w.observe(microseconds(100), false);  // slept, but the job came 100 µs later
  EXPECT_EQ(w.current(), microseconds(200));
  w.observe(microseconds(400), false);
  EXPECT_EQ(w.current(), microseconds(500));  // capped
  w.observe(microseconds(30), true);          // caught while polling: left as is
  EXPECT_EQ(w.current(), microseconds(500));
}

TEST(PollWindow, LongGapsHalveItToNothing) {
  PollWindow w(microseconds(500));
  w.observe(microseconds(250), false);
  ASSERT_EQ(w.current(), microseconds(500));
  int steps = 0;
  while (w.current().count() > 0) {
    w.observe(std::chrono::milliseconds(50), false);
    ASSERT_LT(++steps, 20);
  }
  // A quiet backend pays at most cap + cap/2 + ... (under twice the cap) before it stops polling.
  EXPECT_LE(steps, 9);
}

namespace {

// The calling thread's CPU time.
std::chrono::nanoseconds threadCpu(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

struct ClockJob {
  std::atomic<clockid_t>* clock;
  std::atomic<int>* ran;
  void run() {
    clockid_t c;
    if (pthread_getcpuclockid(pthread_self(), &c) == 0) clock->store(c);
    ran->fetch_add(1);
  }
};

}  // namespace

TEST(IoQueue, PollingKeepsOrderAndStopsWhenIdle) {
  std::atomic<clockid_t> clock{0};
  std::atomic<int> ran{0};
  std::atomic<int> wakes{0};
  IoQueue<ClockJob> q([&] { wakes++; }, microseconds(500));
  // Back to back, as awaited calls come: each job is submitted once the last one finished.
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(q.submit(std::make_unique<ClockJob>(ClockJob{&clock, &ran})));
    while (ran.load() <= i) std::this_thread::yield();
    q.takeDone();
  }
  // Quiet now: jobs 3 ms apart. After a few such gaps the thread must sleep at once, not poll
  // 500 µs after each (40 x 500 µs would be 20 ms of CPU), and use no CPU while idle.
  const auto before = threadCpu(clock.load());
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    ASSERT_TRUE(q.submit(std::make_unique<ClockJob>(ClockJob{&clock, &ran})));
  }
  while (ran.load() < 2040) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto quietCpu = threadCpu(clock.load()) - before;
  EXPECT_LT(quietCpu, std::chrono::milliseconds(8)) << "the I/O thread kept polling while calls were far apart";
  q.stop();
  EXPECT_EQ(q.takeDone().size(), 40u);
}

TEST(IoQueue, StopEndsAPoll) {
  std::atomic<clockid_t> clock{0};
  std::atomic<int> ran{0};
  IoQueue<ClockJob> q([] {}, std::chrono::milliseconds(100));
  for (int i = 0; i < 3; ++i) {
    q.submit(std::make_unique<ClockJob>(ClockJob{&clock, &ran}));
    while (ran.load() <= i) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // opens a window of ~40 ms
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto t0 = std::chrono::steady_clock::now();
  q.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(15));
}

namespace {

// The I/O threads alive in this process, told apart by their name: a sanitizer's own helper
// threads (TSan starts one lazily) must not count.
int threadCount() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
      std::string name;
      std::getline(comm, name);
      n += name == kIoThreadName;
    }
    closedir(d);
  }
  return n;
}

}  // namespace

TEST(IoQueue, ARetiringJobEndsTheThreadAndTheNextJobStartsOne) {
  std::vector<int> order;
  std::set<std::thread::id> threads;
  std::mutex m;
  const int base = threadCount();
  IoQueue<Job> q([] {}, microseconds(500));
  q.submit(std::make_unique<Job>(Job{0, &order, &threads, &m}));
  q.submit(std::make_unique<Job>(Job{1, &order, &threads, &m}), /*thenRetire=*/true);
  for (int i = 0; i < 200 && threadCount() != base; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(threadCount(), base) << "the thread should end after the retiring job";
  // Work after that starts a thread again; a retire overtaken by later work keeps the thread.
  q.submit(std::make_unique<Job>(Job{2, &order, &threads, &m, 2}), true);
  q.submit(std::make_unique<Job>(Job{3, &order, &threads, &m}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(threadCount(), base + 1);
  q.stop();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(threadCount(), base);
}
