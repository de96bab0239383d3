#pragma once

#include <memory>
#include <mutex>
#include <utility>

namespace gp {

// A shared_ptr that readers on any thread copy while one writer replaces it:
// the runtime configuration, the backend list, the engine's workers.
//
// Not std::atomic<std::shared_ptr>: libstdc++ 12's load() releases its
// internal lock with a relaxed store, so the pointer it read is not ordered
// before a writer's later store. That is a data race by the memory model
// (ThreadSanitizer reports it), harmless on x86 but not guaranteed elsewhere.
// A mutex held for a pointer copy costs tens of nanoseconds and is correct.
template <class T>
class SnapshotPtr {
 public:
  SnapshotPtr() = default;
  explicit SnapshotPtr(std::shared_ptr<T> value) : value_(std::move(value)) {}
  SnapshotPtr(const SnapshotPtr&) = delete;
  SnapshotPtr& operator=(const SnapshotPtr&) = delete;

  std::shared_ptr<T> load() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

  void store(std::shared_ptr<T> next) {
    // The previous value may be the last reference; it dies outside the lock.
    auto previous = exchange(std::move(next));
  }

  std::shared_ptr<T> exchange(std::shared_ptr<T> next) {
    std::lock_guard lock(mutex_);
    std::swap(value_, next);
    return next;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<T> value_;
};

}  // namespace gp
