#include "genai/embedding_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace gp::genai {
namespace {

using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

// A clock the test moves by hand.
struct FakeClock {
  std::shared_ptr<std::atomic<int64_t>> ns = std::make_shared<std::atomic<int64_t>>(1'000'000'000);

  EmbeddingCache::Clock clock() const {
    return [ns = ns] { return TimePoint(std::chrono::nanoseconds(ns->load())); };
  }
  void advance(std::chrono::nanoseconds by) { ns->fetch_add(by.count()); }
};

// A distinct vector per (service, text), so that a wrong entry cannot pass.
std::vector<double> vector_for(std::string_view service, std::string_view text, size_t dimension) {
  const size_t h = std::hash<std::string>{}(std::string(service) + '\x01' + std::string(text));
  std::vector<double> v(dimension);
  for (size_t j = 0; j < dimension; ++j) v[j] = static_cast<double>((h >> (j % 48)) & 0xffff) / 7.0;
  return v;
}

Embeddings answer_for(std::string_view service, const std::vector<std::string>& documents,
                      size_t dimension = 8) {
  Embeddings e;
  e.count = documents.size();
  e.dimension = dimension;
  for (const auto& d : documents) {
    auto v = vector_for(service, d, dimension);
    e.values.insert(e.values.end(), v.begin(), v.end());
  }
  return e;
}

Embeddings one_answer(std::vector<double> values, bool single_precision = false) {
  Embeddings e;
  e.count = 1;
  e.dimension = values.size();
  e.values = std::move(values);
  e.single_precision = single_precision;
  return e;
}

std::vector<std::string> numbered(size_t n, std::string_view prefix = "document ") {
  std::vector<std::string> docs;
  for (size_t i = 0; i < n; ++i) docs.push_back(std::string(prefix) + std::to_string(i));
  return docs;
}

std::vector<uint64_t> bits(const std::vector<double>& values) {
  std::vector<uint64_t> out;
  for (double v : values) out.push_back(std::bit_cast<uint64_t>(v));
  return out;
}

size_t entry_bytes(std::string_view service, std::string_view text, size_t values,
                   size_t width = sizeof(double)) {
  return service.size() + text.size() + values * width + EmbeddingCache::kEntryOverhead;
}

constexpr std::string_view kService = "http://embed/v1|model-a|openai|384";

TEST(EmbeddingCache, MissThenHit) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const std::vector<std::string> docs{"hello world"};
  auto first = cache.lookup(kService, docs);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(first[0]);

  cache.insert(kService, docs, answer_for(kService, docs));
  auto second = cache.lookup(kService, docs);
  ASSERT_TRUE(second[0]);
  EXPECT_EQ(second[0]->values, vector_for(kService, docs[0], 8));
  EXPECT_FALSE(second[0]->single_precision);

  const auto s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.inserts, 1u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.bytes, entry_bytes(kService, docs[0], 8));
}

TEST(EmbeddingCache, PartialHitsReturnExactlyTheCachedDocuments) {
  EmbeddingCache cache(16 << 20, seconds(60));
  const auto docs = numbered(100);
  std::vector<std::string> cached;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i % 10 != 3) cached.push_back(docs[i]);
  }
  ASSERT_EQ(cached.size(), 90u);
  cache.insert(kService, cached, answer_for(kService, cached));

  const auto found = cache.lookup(kService, docs);
  ASSERT_EQ(found.size(), 100u);
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i % 10 == 3) {
      EXPECT_FALSE(found[i]) << i;
    } else {
      ASSERT_TRUE(found[i]) << i;
      EXPECT_EQ(found[i]->values, vector_for(kService, docs[i], 8)) << i;
    }
  }
  const auto s = cache.stats();
  EXPECT_EQ(s.hits, 90u);
  EXPECT_EQ(s.misses, 10u);
  EXPECT_EQ(s.entries, 90u);
}

TEST(EmbeddingCache, DuplicateDocumentsInOneLookupEachHit) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const std::vector<std::string> one{"same"};
  cache.insert(kService, one, answer_for(kService, one));
  const std::vector<std::string> docs{"same", "other", "same"};
  const auto found = cache.lookup(kService, docs);
  EXPECT_TRUE(found[0]);
  EXPECT_FALSE(found[1]);
  EXPECT_TRUE(found[2]);
  EXPECT_EQ(cache.stats().hits, 2u);
}

TEST(EmbeddingCache, DoublesComeBackBitIdentical) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const std::vector<double> values{
      0.0,
      -0.0,
      0.1,
      -1.0 / 3.0,
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::min() / 3,  // a denormal
      std::numeric_limits<double>::min(),
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::epsilon(),
      1.0 + std::numeric_limits<double>::epsilon(),
  };
  const std::vector<std::string> docs{"exact"};
  cache.insert(kService, docs, one_answer(values));
  const auto found = cache.lookup(kService, docs);
  ASSERT_TRUE(found[0]);
  EXPECT_EQ(bits(found[0]->values), bits(values));
  EXPECT_FALSE(found[0]->single_precision);
  EXPECT_EQ(cache.stats().bytes, entry_bytes(kService, "exact", values.size()));
}

TEST(EmbeddingCache, SinglePrecisionIsStoredAsFloatAndComesBackBitIdentical) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const std::vector<float> floats{
      0.0f,
      -0.0f,
      0.1f,
      -1.0f / 3.0f,
      std::numeric_limits<float>::denorm_min(),
      std::numeric_limits<float>::min() / 3,  // a float denormal
      std::numeric_limits<float>::max(),
      std::numeric_limits<float>::lowest(),
      std::numeric_limits<float>::epsilon(),
  };
  const std::vector<double> values(floats.begin(), floats.end());
  const std::vector<std::string> docs{"float32"};
  cache.insert(kService, docs, one_answer(values, true));
  const auto found = cache.lookup(kService, docs);
  ASSERT_TRUE(found[0]);
  EXPECT_EQ(bits(found[0]->values), bits(values));
  EXPECT_TRUE(found[0]->single_precision);
  EXPECT_EQ(cache.stats().bytes, entry_bytes(kService, "float32", values.size(), sizeof(float)));
}

TEST(EmbeddingCache, SinglePrecisionFlagWithValuesNoFloatHoldsIsStoredAsDouble) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const std::vector<double> values{0.5, 0.1, std::numeric_limits<double>::denorm_min()};
  const std::vector<std::string> docs{"mixed"};
  cache.insert(kService, docs, one_answer(values, true));
  const auto found = cache.lookup(kService, docs);
  ASSERT_TRUE(found[0]);
  EXPECT_EQ(bits(found[0]->values), bits(values));
  EXPECT_TRUE(found[0]->single_precision);
  EXPECT_EQ(cache.stats().bytes, entry_bytes(kService, "mixed", values.size()));
}

TEST(EmbeddingCache, EmptyTextEmptyServiceAndEmptyVectorAreEntries) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const std::vector<std::string> docs{""};
  cache.insert("", docs, one_answer({}));
  const auto found = cache.lookup("", docs);
  ASSERT_TRUE(found[0]);
  EXPECT_TRUE(found[0]->values.empty());
  EXPECT_FALSE(cache.lookup("x", docs)[0]);
}

TEST(EmbeddingCache, RecentlyLookedUpEntrySurvivesEviction) {
  FakeClock clock;
  const size_t each = entry_bytes(kService, "document 0", 8);
  // One shard, so that LRU order is global; room for exactly three entries.
  EmbeddingCache cache(3 * each, seconds(60), clock.clock(), 1);
  const auto docs = numbered(4);
  for (size_t i = 0; i < 3; ++i) {
    const std::vector<std::string> one{docs[i]};
    cache.insert(kService, one, answer_for(kService, one));
  }
  ASSERT_EQ(cache.stats().entries, 3u);
  // document 0 is the oldest insert; touching it makes document 1 the LRU.
  EXPECT_TRUE(cache.lookup(kService, std::span(docs).subspan(0, 1))[0]);
  const std::vector<std::string> fourth{docs[3]};
  cache.insert(kService, fourth, answer_for(kService, fourth));

  const auto found = cache.lookup(kService, docs);
  EXPECT_TRUE(found[0]);
  EXPECT_FALSE(found[1]);
  EXPECT_TRUE(found[2]);
  EXPECT_TRUE(found[3]);
  const auto s = cache.stats();
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.entries, 3u);
  EXPECT_EQ(s.bytes, 3 * each);
}

TEST(EmbeddingCache, ByteBudgetIsNeverExceeded) {
  const size_t max_bytes = 64 * 1024;
  EmbeddingCache cache(max_bytes, seconds(60));
  std::mt19937 random(7);
  uint64_t stored = 0;
  for (int round = 0; round < 2000; ++round) {
    // Texts of varied length, vectors of varied dimension and width.
    std::vector<std::string> docs{std::string(random() % 300, 'a' + round % 26) +
                                  std::to_string(round)};
    Embeddings e = answer_for(kService, docs, 1 + random() % 200);
    e.single_precision = round % 3 == 0;
    cache.insert(kService, docs, e);
    stored++;
    const auto s = cache.stats();
    ASSERT_LE(s.bytes, max_bytes) << round;
  }
  const auto s = cache.stats();
  EXPECT_EQ(s.inserts, stored);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_EQ(s.inserts, s.entries + s.evictions);
  EXPECT_GT(s.bytes, max_bytes / 2);  // the budget is used, not just respected
}

TEST(EmbeddingCache, EntryLargerThanAShardsShareIsNotStored) {
  const size_t share = entry_bytes(kService, "big", 100);
  EmbeddingCache cache(16 * share, seconds(60));
  const std::vector<std::string> docs{"big"};
  cache.insert(kService, docs, answer_for(kService, docs, 101));
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().inserts, 0u);
  cache.insert(kService, docs, answer_for(kService, docs, 100));
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(EmbeddingCache, ReinsertReplacesTheEntry) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const std::vector<std::string> docs{"changing"};
  cache.insert(kService, docs, one_answer({1.0, 2.0}));
  cache.insert(kService, docs, one_answer({3.0, 4.0, 5.0}));
  const auto found = cache.lookup(kService, docs);
  ASSERT_TRUE(found[0]);
  EXPECT_EQ(found[0]->values, (std::vector<double>{3.0, 4.0, 5.0}));
  const auto s = cache.stats();
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.inserts, 2u);
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.bytes, entry_bytes(kService, "changing", 3));
}

TEST(EmbeddingCache, MismatchedAnswerIsNotStored) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const auto docs = numbered(3);
  Embeddings short_answer = answer_for(kService, {docs[0], docs[1]});
  cache.insert(kService, docs, short_answer);
  Embeddings truncated = answer_for(kService, docs);
  truncated.values.pop_back();
  cache.insert(kService, docs, truncated);
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST(EmbeddingCache, TtlExpiresEntriesWithoutSleeping) {
  FakeClock clock;
  EmbeddingCache cache(1 << 20, seconds(10), clock.clock());
  const std::vector<std::string> docs{"aging"};
  cache.insert(kService, docs, answer_for(kService, docs));

  clock.advance(seconds(10) - std::chrono::nanoseconds(1));
  EXPECT_TRUE(cache.lookup(kService, docs)[0]);  // a hit does not extend the life
  clock.advance(std::chrono::nanoseconds(1));
  EXPECT_FALSE(cache.lookup(kService, docs)[0]);

  auto s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.bytes, 0u);

  cache.insert(kService, docs, answer_for(kService, docs));  // a fresh answer lives again
  clock.advance(seconds(5));
  EXPECT_TRUE(cache.lookup(kService, docs)[0]);
}

TEST(EmbeddingCache, TtlZeroTurnsTheCacheOff) {
  EmbeddingCache cache(1 << 20, seconds(0));
  const auto docs = numbered(5);
  cache.insert(kService, docs, answer_for(kService, docs));
  const auto found = cache.lookup(kService, docs);
  for (const auto& f : found) EXPECT_FALSE(f);
  auto s = cache.stats();
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.inserts, 0u);
  EXPECT_EQ(s.misses, 5u);

  EmbeddingCache defaulted;  // off until configured
  defaulted.insert(kService, docs, answer_for(kService, docs));
  EXPECT_FALSE(defaulted.lookup(kService, docs)[0]);
  defaulted.configure(1 << 20, seconds(60));
  defaulted.insert(kService, docs, answer_for(kService, docs));
  EXPECT_TRUE(defaulted.lookup(kService, docs)[0]);
}

TEST(EmbeddingCache, ConfigureOffEmptiesTheCache) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const auto docs = numbered(5);
  cache.insert(kService, docs, answer_for(kService, docs));
  cache.configure(1 << 20, seconds(0));
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
  cache.configure(1 << 20, seconds(60));
  EXPECT_FALSE(cache.lookup(kService, docs)[0]);
  cache.configure(1 << 20, seconds(-5));  // negative: off
  cache.insert(kService, docs, answer_for(kService, docs));
  EXPECT_EQ(cache.stats().entries, 0u);
}

// A caller's own ttl (a named model's cache_ttl_s) stands beside the cache's.
TEST(EmbeddingCache, OwnTtlIsJudgedByItselfAndOutlivesTheCachesOff) {
  FakeClock clock;
  EmbeddingCache cache(1 << 20, seconds(0), clock.clock());
  const std::vector<std::string> docs{"own"};
  cache.insert(kService, docs, answer_for(kService, docs), seconds(30));
  EXPECT_TRUE(cache.lookup(kService, docs, seconds(30))[0]);
  EXPECT_FALSE(cache.lookup(kService, docs)[0]);  // the cache's ttl is 0: off for the others
  cache.insert(kService, docs, answer_for(kService, docs), seconds(0));  // 0: not cached
  EXPECT_TRUE(cache.lookup(kService, docs, seconds(30))[0]);
  // Turning the cache's own ttl off or on leaves the entry alone...
  cache.configure(1 << 20, seconds(60));
  cache.configure(1 << 20, seconds(0));
  EXPECT_EQ(cache.stats().entries, 1u);
  // ...its own ttl ends it...
  clock.advance(seconds(30));
  cache.configure(1 << 20, seconds(0));
  EXPECT_EQ(cache.stats().entries, 0u);
  // ...and a budget of 0 ends every entry.
  cache.insert(kService, docs, answer_for(kService, docs), seconds(30));
  cache.configure(0, seconds(60));
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_FALSE(cache.lookup(kService, docs, seconds(30))[0]);
}

TEST(EmbeddingCache, ConfigureShrinkEvictsAtOnce) {
  EmbeddingCache cache(16 << 20, seconds(60));
  const auto docs = numbered(2000);
  cache.insert(kService, docs, answer_for(kService, docs));
  const auto before = cache.stats();
  ASSERT_EQ(before.entries, 2000u);

  const size_t smaller = before.bytes / 4;
  cache.configure(smaller, seconds(60));
  const auto after = cache.stats();
  EXPECT_LE(after.bytes, smaller);
  EXPECT_GT(after.entries, 0u);
  EXPECT_LT(after.entries, 700u);
  EXPECT_EQ(after.evictions, 2000u - after.entries);
}

TEST(EmbeddingCache, ConfigureShorterTtlDropsEntriesAlreadyTooOld) {
  FakeClock clock;
  EmbeddingCache cache(1 << 20, seconds(3600), clock.clock());
  const std::vector<std::string> old_docs{"old"};
  const std::vector<std::string> new_docs{"new"};
  cache.insert(kService, old_docs, answer_for(kService, old_docs));
  clock.advance(seconds(120));
  cache.insert(kService, new_docs, answer_for(kService, new_docs));
  clock.advance(seconds(30));

  cache.configure(1 << 20, seconds(60));
  const auto s = cache.stats();
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_TRUE(cache.lookup(kService, new_docs)[0]);
}

TEST(EmbeddingCache, FlushEmptiesAndKeepsCounting) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const auto docs = numbered(10);
  cache.insert(kService, docs, answer_for(kService, docs));
  cache.lookup(kService, docs);
  cache.flush();

  auto s = cache.stats();
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.bytes, 0u);
  EXPECT_EQ(s.hits, 10u);
  EXPECT_EQ(s.inserts, 10u);
  EXPECT_EQ(s.evictions, 0u);

  for (const auto& f : cache.lookup(kService, docs)) EXPECT_FALSE(f);
  s = cache.stats();
  EXPECT_EQ(s.misses, 10u);
  cache.insert(kService, docs, answer_for(kService, docs));
  EXPECT_EQ(cache.stats().entries, 10u);
}

TEST(EmbeddingCache, DifferentServicesNeverShareEntries) {
  EmbeddingCache cache(1 << 20, seconds(60));
  const std::vector<std::string> docs{"same text"};
  const std::string a = "http://a/embed|m|tei|384";
  const std::string b = "http://a/embed|m|tei|768";
  cache.insert(a, docs, answer_for(a, docs));
  EXPECT_FALSE(cache.lookup(b, docs)[0]);

  cache.insert(b, docs, answer_for(b, docs));
  const auto from_a = cache.lookup(a, docs);
  const auto from_b = cache.lookup(b, docs);
  ASSERT_TRUE(from_a[0]);
  ASSERT_TRUE(from_b[0]);
  EXPECT_EQ(from_a[0]->values, vector_for(a, docs[0], 8));
  EXPECT_EQ(from_b[0]->values, vector_for(b, docs[0], 8));
  EXPECT_NE(from_a[0]->values, from_b[0]->values);
  EXPECT_EQ(cache.stats().entries, 2u);
}

TEST(EmbeddingCache, ServiceAndTextBoundaryIsPartOfTheKey) {
  // Concatenated, both keys read "abc"; they must stay two entries.
  EmbeddingCache cache(1 << 20, seconds(60));
  const std::vector<std::string> c{"c"};
  const std::vector<std::string> bc{"bc"};
  cache.insert("ab", c, one_answer({1.0}));
  EXPECT_FALSE(cache.lookup("a", bc)[0]);
  cache.insert("a", bc, one_answer({2.0}));
  EXPECT_EQ(cache.lookup("ab", c)[0]->values, std::vector<double>{1.0});
  EXPECT_EQ(cache.lookup("a", bc)[0]->values, std::vector<double>{2.0});
}

TEST(EmbeddingCache, ManyThreadsKeepTheInvariants) {
  const size_t max_bytes = 256 * 1024;
  EmbeddingCache cache(max_bytes, seconds(60));
  const std::vector<std::string> services{"svc-a|384", "svc-b|384"};
  const auto docs = numbered(600);
  constexpr size_t kDimension = 16;

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> looked_up{0};
  std::atomic<uint64_t> wrong{0};
  std::atomic<uint64_t> over_budget{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      uint64_t mine = 0;
      for (uint64_t round = 0; !stop.load(std::memory_order_relaxed); ++round) {
        const auto& service = services[random() % services.size()];
        std::vector<std::string> batch;
        for (size_t n = 1 + random() % 4; n > 0; --n) batch.push_back(docs[random() % docs.size()]);
        const unsigned action = random() % 100;
        if (action < 65) {
          const auto found = cache.lookup(service, batch);
          mine += batch.size();
          for (size_t i = 0; i < batch.size(); ++i) {
            if (found[i] && (found[i]->values != vector_for(service, batch[i], kDimension) ||
                             found[i]->single_precision)) {
              wrong.fetch_add(1);
            }
          }
        } else if (action < 97) {
          cache.insert(service, batch, answer_for(service, batch, kDimension));
        } else if (action < 98 && t == 0 && round % 50 == 0) {
          cache.flush();
        } else if (action < 99 && t == 1) {
          // The budget moves between two sizes; stats stay under the larger one.
          cache.configure(round % 2 ? max_bytes : max_bytes / 2, seconds(60));
        } else if (cache.stats().bytes > max_bytes) {
          over_budget.fetch_add(1);
        }
      }
      looked_up.fetch_add(mine);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& t : threads) t.join();

  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(over_budget.load(), 0u);
  cache.configure(max_bytes, seconds(60));
  const auto s = cache.stats();
  EXPECT_GT(looked_up.load(), 0u);
  EXPECT_EQ(s.hits + s.misses, looked_up.load());
  EXPECT_GT(s.hits, 0u);
  EXPECT_LE(s.bytes, max_bytes);
  // Both services are 9 bytes; texts are 10 to 12.
  EXPECT_GE(s.bytes, s.entries * entry_bytes("svc-a|384", "document 0", kDimension));
  EXPECT_LE(s.bytes, s.entries * entry_bytes("svc-a|384", "document 599", kDimension));
  EXPECT_LE(s.entries, services.size() * docs.size());

  // Every entry left is still the right one.
  for (const auto& service : services) {
    const auto found = cache.lookup(service, docs);
    for (size_t i = 0; i < docs.size(); ++i) {
      if (found[i]) {
        EXPECT_EQ(found[i]->values, vector_for(service, docs[i], kDimension));
      }
    }
  }
}

// Not a pass/fail figure (the build may be sanitized): prints the rate of
// one-document hits on one thread, next to a bare unordered_map find plus copy
// (no lock, no clock) measured in the same run.
TEST(EmbeddingCache, LookupRateOfOneDocumentHit) {
  constexpr size_t kDimension = 384;
  EmbeddingCache cache(64 << 20, seconds(60));
  const std::vector<std::string> docs{"a short document to embed, as a search query would be"};
  std::vector<float> floats(kDimension);
  for (size_t j = 0; j < kDimension; ++j) floats[j] = static_cast<float>(j) / 7.0f;
  cache.insert(kService, docs, one_answer({floats.begin(), floats.end()}, true));

  // Thread CPU time, best of several rounds: the machine may be shared.
  const auto rate = [](auto&& once) {
    const auto cpu_seconds = [] {
      timespec ts{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    };
    double best = 0;
    for (int round = 0; round < 5; ++round) {
      const double start = cpu_seconds();
      constexpr int kLookups = 50'000;
      for (int i = 0; i < kLookups; ++i) once();
      best = std::max(best, kLookups / (cpu_seconds() - start));
    }
    return best;
  };

  size_t sink = 0;
  const double cached = rate([&] {
    auto found = cache.lookup(kService, docs);
    sink += found[0]->values.size();
  });
  std::unordered_map<std::string, std::vector<float>> bare{
      {std::string(kService) + docs[0], floats}};
  const double baseline = rate([&] {
    auto it = bare.find(std::string(kService) + docs[0]);
    std::vector<std::optional<CachedVector>> found(1);
    found[0] = CachedVector{{it->second.begin(), it->second.end()}, true};
    sink += found[0]->values.size();
  });
  EXPECT_GT(sink, 0u);
  std::printf(
      "[ rate     ] 1-document hit, %zu floats: %.2f M lookups/s; bare unordered_map find + "
      "copy: %.2f M/s; ratio %.2f\n",
      kDimension, cached / 1e6, baseline / 1e6, cached / baseline);
  RecordProperty("lookups_per_second", std::to_string(static_cast<uint64_t>(cached)));
}

}  // namespace
}  // namespace gp::genai
