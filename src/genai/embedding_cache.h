// In-memory cache of embedding vectors, one entry per (service, document).
//
// Thread-safe: every member may be called from any thread at once. The cache
// is cut into shards (a power of two, 16 by default), each with its own mutex,
// LRU list and hash map; a document goes to the shard its key hashes to, so
// network threads looking up different documents rarely meet on one lock.
//
// Key: the service identity (a string the caller builds from everything that
// changes the answer: URI, model, format, dimensions) and the document text.
// Both are hashed to pick the shard and bucket, and both are compared byte for
// byte on lookup: a hash collision is never a hit.
//
// Budget: each shard holds at most max_bytes / shards bytes, so the whole
// cache never holds more than max_bytes. An entry counts its service and text
// bytes, its values (4 bytes each when stored as float, 8 otherwise) and
// kEntryOverhead. An entry larger than one shard's share is not stored. When a
// shard is over its share the least recently used entries go first.
//
// Lifetime: an entry expires when ttl has passed since it was inserted, judged
// by the ttl in force at the time of the lookup: the caller's own (a named
// model's cache_ttl_s) when it gives one, else the cache's (configure). A hit
// moves the entry to the front of its LRU list but does not extend its life.
// A ttl of 0 turns caching off for the callers it applies to; max_bytes 0
// turns the cache off for all: every lookup misses and inserts are dropped.
//
// Values: a hit gives back bit-identical doubles and the single_precision flag
// the service's answer had. A vector flagged single_precision whose values all
// come back unchanged through float is stored as float (half the bytes); any
// other vector is stored as double.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "genai/embedding_adapter.h"

namespace gp::genai {

// One document's vector as the service answered it.
struct CachedVector {
  std::vector<double> values;
  bool single_precision = false;
};

class EmbeddingCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  static constexpr size_t kDefaultShards = 16;
  // Bytes counted per entry besides its key and values: what its three
  // allocations (LRU list node, hash-map node, key-and-values buffer), their
  // allocator headers and its hash bucket take with libstdc++ and glibc on a
  // 64-bit machine, rounded up.
  static constexpr size_t kEntryOverhead = 176;

  struct Stats {
    uint64_t hits = 0;       // documents found
    uint64_t misses = 0;     // documents not found (or expired, or the cache off)
    uint64_t evictions = 0;  // entries removed for the budget or because they expired
    uint64_t inserts = 0;    // entries stored, new or replacing an older answer
    uint64_t entries = 0;
    uint64_t bytes = 0;  // as counted against max_bytes
  };

  explicit EmbeddingCache(size_t max_bytes = 0, std::chrono::seconds ttl = {});
  // `clock` is called from any thread, so it must be thread-safe. `shards` is
  // rounded up to a power of two.
  EmbeddingCache(size_t max_bytes, std::chrono::seconds ttl, Clock clock,
                 size_t shards = kDefaultShards);
  ~EmbeddingCache();
  EmbeddingCache(const EmbeddingCache&) = delete;
  EmbeddingCache& operator=(const EmbeddingCache&) = delete;

  // Applies a new budget and lifetime. Before it returns, every shard is
  // within its new share and entries expired under the new ttl (or their
  // own) are gone; max_bytes 0 empties it. A negative ttl is 0.
  void configure(size_t max_bytes, std::chrono::seconds ttl);

  // For each document, the cached vector or nullopt (partial hits). Counts
  // one hit or miss per document.
  std::vector<std::optional<CachedVector>> lookup(std::string_view service,
                                                  std::span<const std::string> documents,
                                                  std::optional<std::chrono::seconds> ttl = {});

  // Stores the service's answer: row i of `embeddings` is documents[i]. An
  // answer whose count or size does not match the documents is not stored.
  // An entry already cached for a document is replaced.
  // With `ttl`, the entries keep that lifetime (as lookups with it judge
  // them) instead of following configure().
  void insert(std::string_view service, std::span<const std::string> documents,
              const Embeddings& embeddings, std::optional<std::chrono::seconds> ttl = {});

  // Removes every entry (FLUSH GENAI CACHE). Counters are kept; the removed
  // entries are not counted as evictions.
  void flush();

  // Counters summed over the shards, each shard read under its lock.
  Stats stats() const;

 private:
  struct Shard;

  Shard& shard_for(size_t hash) const;
  // The lifetime in force for a caller (zero: caching is off for it).
  std::chrono::steady_clock::duration lifetime(std::optional<std::chrono::seconds> ttl) const;

  Clock clock_;
  size_t shard_count_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<size_t> max_bytes_;
  std::atomic<int64_t> ttl_;  // steady_clock ticks
  std::atomic<uint64_t> misses_while_off_{0};
};

}  // namespace gp::genai
