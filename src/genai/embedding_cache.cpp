#include "genai/embedding_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>

namespace gp::genai {

namespace {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

// Past this a ttl means "forever"; it keeps `ttl` in nanoseconds far from
// overflow when compared with an age.
constexpr auto kLongestTtl = std::chrono::hours(24 * 365 * 100);

size_t combine(size_t service_hash, std::string_view text) {
  const size_t text_hash = std::hash<std::string_view>{}(text);
  return service_hash ^
         (text_hash + 0x9e3779b97f4a7c15ULL + (service_hash << 6) + (service_hash >> 2));
}

// Views into the entry's own bytes (or, for a lookup, the caller's), with the
// hash computed once.
struct EntryKey {
  size_t hash;
  std::string_view service;
  std::string_view text;

  bool operator==(const EntryKey& other) const {
    return hash == other.hash && service == other.service && text == other.text;
  }
};

struct StoredHash {
  size_t operator()(const EntryKey& key) const noexcept { return key.hash; }
};

bool round_trips_through_float(std::span<const double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) {
    return std::bit_cast<uint64_t>(static_cast<double>(static_cast<float>(v))) ==
           std::bit_cast<uint64_t>(v);
  });
}

// One allocation holds the values, then the service, then the text, so that
// the key views stay valid for the entry's life.
struct Entry {
  std::unique_ptr<std::byte[]> data;
  size_t hash = 0;
  size_t text_size = 0;
  uint32_t service_size = 0;
  uint32_t dimension = 0;
  TimePoint inserted;
  // The lifetime it was stored with; negative: the cache's own (configure).
  Duration own_ttl{-1};
  bool stored_as_float = false;
  bool single_precision = false;

  size_t value_bytes() const {
    return size_t{dimension} * (stored_as_float ? sizeof(float) : sizeof(double));
  }
  size_t bytes() const {
    return value_bytes() + service_size + text_size + EmbeddingCache::kEntryOverhead;
  }
  EntryKey key() const {
    const char* chars = reinterpret_cast<const char*>(data.get()) + value_bytes();
    return {hash, {chars, service_size}, {chars + service_size, text_size}};
  }

  // The buffer is a std::byte array, in which the float or double array
  // written by make() lives (implicit object creation), so it is read typed.
  CachedVector vector() const {
    if (stored_as_float) {
      const auto* values = reinterpret_cast<const float*>(data.get());
      return {std::vector<double>(values, values + dimension), single_precision};
    }
    const auto* values = reinterpret_cast<const double*>(data.get());
    return {std::vector<double>(values, values + dimension), single_precision};
  }

  static Entry make(size_t hash, std::string_view service, std::string_view text,
                    std::span<const double> values, bool single_precision, bool as_float,
                    TimePoint now) {
    Entry e;
    e.hash = hash;
    e.text_size = text.size();
    e.service_size = static_cast<uint32_t>(service.size());
    e.dimension = static_cast<uint32_t>(values.size());
    e.inserted = now;
    e.single_precision = single_precision;
    e.stored_as_float = as_float;
    const size_t value_bytes = e.value_bytes();
    e.data =
        std::make_unique_for_overwrite<std::byte[]>(value_bytes + service.size() + text.size());
    std::byte* p = e.data.get();
    if (e.stored_as_float) {
      for (size_t i = 0; i < values.size(); ++i) {
        const float f = static_cast<float>(values[i]);
        std::memcpy(p + i * sizeof(float), &f, sizeof(float));
      }
    } else if (!values.empty()) {
      std::memcpy(p, values.data(), value_bytes);
    }
    if (!service.empty()) std::memcpy(p + value_bytes, service.data(), service.size());
    if (!text.empty()) std::memcpy(p + value_bytes + service.size(), text.data(), text.size());
    return e;
  }

  // What an entry for this key and vector would count, before building it.
  static size_t bytes_for(std::string_view service, std::string_view text,
                          std::span<const double> values, bool as_float) {
    const size_t width = as_float ? sizeof(float) : sizeof(double);
    return values.size() * width + service.size() + text.size() + EmbeddingCache::kEntryOverhead;
  }
};

}  // namespace

// Aligned to a cache line so that two shards' mutexes never share one.
struct alignas(64) EmbeddingCache::Shard {
  using Lru = std::list<Entry>;  // front: most recently used

  std::mutex mutex;
  Lru lru;
  std::unordered_map<EntryKey, Lru::iterator, StoredHash> index;
  size_t bytes = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  uint64_t inserts = 0;

  void remove(Lru::iterator entry) {
    bytes -= entry->bytes();
    index.erase(entry->key());
    lru.erase(entry);
  }

  void add(Entry entry) {
    bytes += entry.bytes();
    lru.push_front(std::move(entry));
    index.emplace(lru.front().key(), lru.begin());
  }

  void trim(size_t budget) {
    while (bytes > budget && !lru.empty()) {
      remove(std::prev(lru.end()));
      ++evictions;
    }
  }

  void drop_expired(TimePoint now, Duration ttl) {
    for (auto it = lru.begin(); it != lru.end();) {
      auto next = std::next(it);
      if (now - it->inserted >= (it->own_ttl.count() >= 0 ? it->own_ttl : ttl)) {
        remove(it);
        ++evictions;
      }
      it = next;
    }
  }

  void clear() {
    index.clear();
    lru.clear();
    bytes = 0;
  }
};

EmbeddingCache::EmbeddingCache(size_t max_bytes, std::chrono::seconds ttl)
    : EmbeddingCache(max_bytes, ttl, [] { return std::chrono::steady_clock::now(); }) {}

EmbeddingCache::EmbeddingCache(size_t max_bytes, std::chrono::seconds ttl, Clock clock,
                               size_t shards)
    : clock_(std::move(clock)),
      shard_count_(std::bit_ceil(std::max<size_t>(shards, 1))),
      shards_(std::make_unique<Shard[]>(shard_count_)),
      max_bytes_(0),
      ttl_(0) {
  configure(max_bytes, ttl);
}

EmbeddingCache::~EmbeddingCache() = default;

EmbeddingCache::Shard& EmbeddingCache::shard_for(size_t hash) const {
  // The map buckets use the hash modulo a prime; the shard takes other bits.
  return shards_[((hash * 0x9e3779b97f4a7c15ULL) >> 32) & (shard_count_ - 1)];
}

std::chrono::steady_clock::duration EmbeddingCache::lifetime(
    std::optional<std::chrono::seconds> ttl) const {
  if (max_bytes_.load(std::memory_order_relaxed) == 0) return Duration::zero();
  if (!ttl) return Duration(ttl_.load(std::memory_order_relaxed));
  return std::clamp<std::chrono::seconds>(*ttl, std::chrono::seconds::zero(), kLongestTtl);
}

void EmbeddingCache::configure(size_t max_bytes, std::chrono::seconds ttl) {
  const Duration lifetime =
      std::clamp<std::chrono::seconds>(ttl, std::chrono::seconds::zero(), kLongestTtl);
  max_bytes_.store(max_bytes, std::memory_order_relaxed);
  ttl_.store(lifetime.count(), std::memory_order_relaxed);
  // Inserts read the budget under their shard's lock, so once a shard has
  // been trimmed here no insert can put it back over the new share.
  const size_t budget = max_bytes / shard_count_;
  const TimePoint now = clock_();
  for (size_t i = 0; i < shard_count_; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mutex);
    if (max_bytes == 0) {
      shard.clear();
      continue;
    }
    if (lifetime == Duration::zero()) {
      // Off for the callers without a lifetime of their own: their entries
      // go, as a flush does (not counted as evictions).
      for (auto it = shard.lru.begin(); it != shard.lru.end();) {
        auto next = std::next(it);
        if (it->own_ttl.count() < 0) shard.remove(it);
        it = next;
      }
    }
    shard.drop_expired(now, lifetime);
    shard.trim(budget);
  }
}

std::vector<std::optional<CachedVector>> EmbeddingCache::lookup(
    std::string_view service, std::span<const std::string> documents,
    std::optional<std::chrono::seconds> own_ttl) {
  std::vector<std::optional<CachedVector>> found(documents.size());
  const Duration ttl = lifetime(own_ttl);
  if (ttl <= Duration::zero()) {
    misses_while_off_.fetch_add(documents.size(), std::memory_order_relaxed);
    return found;
  }
  const TimePoint now = clock_();
  const size_t service_hash = std::hash<std::string_view>{}(service);
  for (size_t i = 0; i < documents.size(); ++i) {
    const EntryKey key{combine(service_hash, documents[i]), service, documents[i]};
    Shard& shard = shard_for(key.hash);
    std::lock_guard lock(shard.mutex);
    auto it = shard.index.find(key);
    if (it == shard.index.end()) {
      ++shard.misses;
      continue;
    }
    auto entry = it->second;
    if (now - entry->inserted >= ttl) {
      shard.remove(entry);
      ++shard.evictions;
      ++shard.misses;
      continue;
    }
    shard.lru.splice(shard.lru.begin(), shard.lru, entry);
    found[i] = entry->vector();
    ++shard.hits;
  }
  return found;
}

void EmbeddingCache::insert(std::string_view service, std::span<const std::string> documents,
                            const Embeddings& embeddings,
                            std::optional<std::chrono::seconds> own_ttl) {
  const Duration ttl = lifetime(own_ttl);
  if (ttl <= Duration::zero() || embeddings.count != documents.size() ||
      embeddings.values.size() != embeddings.count * embeddings.dimension ||
      service.size() > UINT32_MAX || embeddings.dimension > UINT32_MAX) {
    return;
  }
  const TimePoint now = clock_();
  const size_t service_hash = std::hash<std::string_view>{}(service);
  for (size_t i = 0; i < documents.size(); ++i) {
    const std::string_view text = documents[i];
    const auto values = embeddings.row(i);
    // A first look at the budget spares building an entry that cannot fit;
    // the one that counts is read under the lock.
    const bool as_float = embeddings.single_precision && round_trips_through_float(values);
    const size_t bytes = Entry::bytes_for(service, text, values, as_float);
    if (bytes > max_bytes_.load(std::memory_order_relaxed) / shard_count_) continue;
    Entry entry = Entry::make(combine(service_hash, text), service, text, values,
                              embeddings.single_precision, as_float, now);
    if (own_ttl) entry.own_ttl = ttl;
    Shard& shard = shard_for(entry.hash);
    std::lock_guard lock(shard.mutex);
    const size_t budget = max_bytes_.load(std::memory_order_relaxed) / shard_count_;
    if (bytes > budget) continue;
    if (auto it = shard.index.find(entry.key()); it != shard.index.end()) shard.remove(it->second);
    shard.add(std::move(entry));
    ++shard.inserts;
    shard.trim(budget);
  }
}

void EmbeddingCache::flush() {
  for (size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    shards_[i].clear();
  }
}

EmbeddingCache::Stats EmbeddingCache::stats() const {
  Stats total;
  total.misses = misses_while_off_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < shard_count_; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mutex);
    total.hits += shard.hits;
    total.misses += shard.misses;
    total.evictions += shard.evictions;
    total.inserts += shard.inserts;
    total.entries += shard.lru.size();
    total.bytes += shard.bytes;
  }
  return total;
}

}  // namespace gp::genai
