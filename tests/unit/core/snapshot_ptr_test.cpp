#include "core/snapshot_ptr.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace gp {
namespace {

// Each snapshot carries its value twice; a reader that saw a torn or freed
// snapshot would find the halves disagree (and ThreadSanitizer would report).
struct Pair {
  explicit Pair(int v) : a(v), b(v) {}
  int a;
  int b;
};

TEST(SnapshotPtr, LoadReturnsWhatWasStored) {
  SnapshotPtr<const Pair> p(std::make_shared<const Pair>(1));
  EXPECT_EQ(p.load()->a, 1);
  p.store(std::make_shared<const Pair>(2));
  EXPECT_EQ(p.load()->b, 2);
}

TEST(SnapshotPtr, ExchangeHandsBackThePreviousValue) {
  SnapshotPtr<const Pair> p(std::make_shared<const Pair>(7));
  auto old = p.exchange(std::make_shared<const Pair>(8));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->a, 7);
  EXPECT_EQ(p.load()->a, 8);
}

TEST(SnapshotPtr, ReadersKeepTheirSnapshotAliveAfterAStore) {
  SnapshotPtr<const Pair> p(std::make_shared<const Pair>(1));
  auto held = p.load();
  p.store(std::make_shared<const Pair>(2));
  EXPECT_EQ(held->a, 1);
  EXPECT_EQ(held.use_count(), 1);
}

TEST(SnapshotPtr, ConcurrentReadersSeeWholeMonotonicSnapshots) {
  SnapshotPtr<const Pair> p(std::make_shared<const Pair>(0));
  constexpr int kStores = 20000;
  std::atomic<bool> bad{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      int last = 0;
      while (last < kStores) {
        auto s = p.load();
        if (s->a != s->b || s->a < last) bad = true;
        last = s->a;
      }
    });
  }
  for (int i = 1; i <= kStores; ++i) p.store(std::make_shared<const Pair>(i));
  for (auto& t : readers) t.join();
  EXPECT_FALSE(bad.load());
  EXPECT_EQ(p.load()->a, kStores);
}

}  // namespace
}  // namespace gp
