// The backend's I/O queue: jobs run in submission order on one thread other than the caller's,
// a burst of completions costs few wakes, and stop() runs everything queued before joining.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "binding/io_queue.hpp"

using lanrage::binding::IoQueue;

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
