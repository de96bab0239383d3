// An engine loop: a thread running an Asio event loop with one HttpLoop.
// HTTP transfers run here; a session awaits them with one hop there and
// back (async_perform).
#pragma once

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "core/error.h"
#include "genai/attempt_runner.h"
#include "genai/batcher.h"
#include "genai/errors.h"
#include "genai/http_loop.h"

namespace gp::genai {

class EngineLoop : public std::enable_shared_from_this<EngineLoop> {
 public:
  EngineLoop(std::shared_ptr<GenaiStats> stats, long host_connections);
  ~EngineLoop();
  EngineLoop(const EngineLoop&) = delete;
  EngineLoop& operator=(const EngineLoop&) = delete;

  void start();
  // Any thread. retire(): exit once the calls in flight have ended.
  // stop(): end them now with CURLE_ABORTED_BY_CALLBACK, then exit.
  void retire();
  void stop();
  void join();
  bool exited() const { return exited_.load(std::memory_order_acquire); }

  // Calls started or queued here and not ended; read to pick a loop.
  int64_t load() const { return in_flight_.load(std::memory_order_relaxed); }
  void set_host_connections(long host_connections);

  // Performs `calls` on this loop and completes on the handler's own
  // executor with the replies (signature void(std::vector<HttpReply>)). A
  // cancellation emitted through the handler's slot, on the handler's
  // thread, aborts the transfers; the replies then say
  // CURLE_ABORTED_BY_CALLBACK.
  template <typename Token>
  auto async_perform(std::vector<HttpCall> calls, Token&& token) {
    return asio::async_initiate<Token, void(std::vector<HttpReply>)>(
        [self = shared_from_this()](auto handler, std::vector<HttpCall> calls) {
          self->initiate(std::move(calls), std::move(handler));
        },
        token, std::move(calls));
  }

  // One round of (possibly hedged) attempts through this loop's
  // AttemptRunner; completes on the handler's executor with
  // void(std::vector<AttemptResult>). A cancellation through the handler's
  // slot aborts them; the replies then say CURLE_ABORTED_BY_CALLBACK.
  template <typename Token>
  auto async_attempts(std::vector<Attempt> attempts, Token&& token) {
    return asio::async_initiate<Token, void(std::vector<AttemptResult>)>(
        [self = shared_from_this()](auto handler, std::vector<Attempt> attempts) {
          self->initiate_attempts(std::move(attempts), std::move(handler));
        },
        token, std::move(attempts));
  }

  // An embed statement through this loop's EmbedBatcher; completes on the
  // handler's executor with void(Result<Embeddings>). A cancellation through
  // the handler's slot answers 9108 at once.
  template <typename Token>
  auto async_embed(BatchRequest request, Token&& token) {
    return asio::async_initiate<Token, void(Result<Embeddings>)>(
        [self = shared_from_this()](auto handler, BatchRequest request) {
          self->initiate_embed(std::move(request), std::move(handler));
        },
        token, std::move(request));
  }

 private:
  // The loop's view of one operation: its id once started.
  struct Pending {
    uint64_t id = 0;
    bool cancelled = false;
  };

  template <typename Handler>
  void initiate(std::vector<HttpCall> calls, Handler handler) {
    size_t count = calls.size();
    run_op<std::vector<HttpReply>>(
        std::move(handler),
        [calls = std::move(calls)](EngineLoop& self, auto done) mutable {
          return self.http_->perform(std::move(calls), std::move(done));
        },
        [count](bool) {
          std::vector<HttpReply> aborted(count);
          for (auto& r : aborted) r.code = CURLE_ABORTED_BY_CALLBACK;
          return aborted;
        },
        [](EngineLoop& self, uint64_t id) { self.http_->cancel(id); });
  }

  template <typename Handler>
  void initiate_attempts(std::vector<Attempt> attempts, Handler handler) {
    size_t count = attempts.size();
    run_op<std::vector<AttemptResult>>(
        std::move(handler),
        [attempts = std::move(attempts)](EngineLoop& self, auto done) mutable {
          return self.attempts_->run(std::move(attempts), std::move(done));
        },
        [count](bool) {
          std::vector<AttemptResult> aborted(count);
          for (auto& r : aborted) {
            r.replies[0] = HttpReply{};
            r.replies[0]->code = CURLE_ABORTED_BY_CALLBACK;
          }
          return aborted;
        },
        [](EngineLoop& self, uint64_t id) { self.attempts_->cancel(id); });
  }

  template <typename Handler>
  void initiate_embed(BatchRequest request, Handler handler) {
    run_op<Result<Embeddings>>(
        std::move(handler),
        [request = std::move(request)](EngineLoop& self, auto done) mutable {
          return self.batcher_->submit(std::move(request), std::move(done));
        },
        [](bool cancelled) -> Result<Embeddings> {
          return std::unexpected(cancelled ? cancelled_error() : unavailable_error());
        },
        [](EngineLoop& self, uint64_t id) { self.batcher_->cancel(id, cancelled_error()); });
  }

  // One operation of this loop awaited from another executor: `start(loop,
  // done)` runs on the loop and returns the id `cancel(loop, id)` takes;
  // `refuse(cancelled)` is the answer when the operation is cancelled before it
  // starts or the loop is stopping. A cancellation through the handler's slot
  // is carried to the loop.
  template <typename Value, typename Handler, typename Start, typename Refuse, typename Cancel>
  void run_op(Handler handler, Start start, Refuse refuse, Cancel cancel) {
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    auto pending = std::make_shared<Pending>();
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([self = shared_from_this(), pending, cancel](asio::cancellation_type) {
        asio::post(self->io_, [self, pending, cancel] {
          pending->cancelled = true;
          if (pending->id) cancel(*self, pending->id);
        });
      });
    }
    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
    asio::post(io_, [self = shared_from_this(), pending, start = std::move(start),
                     refuse = std::move(refuse), handler = std::move(handler),
                     work = std::move(work)]() mutable {
      if (pending->cancelled || self->stopping_) {
        self->complete(std::move(handler), refuse(pending->cancelled));
        return;
      }
      // The handler moves into the completion; std::function needs it copyable.
      auto shared = std::make_shared<Handler>(std::move(handler));
      pending->id = start(*self, [self, shared](Value value) {
        self->complete(std::move(*shared), std::move(value));
      });
    });
  }

  template <typename Handler, typename Value>
  void complete(Handler handler, Value value) {
    auto ex = asio::get_associated_executor(handler);
    asio::dispatch(ex, [handler = std::move(handler), value = std::move(value)]() mutable {
      asio::get_associated_cancellation_slot(handler).clear();
      handler(std::move(value));
    });
    if (in_flight_.fetch_sub(1, std::memory_order_relaxed) == 1 &&
        retiring_.load(std::memory_order_acquire)) {
      io_.stop();
    }
  }

  std::shared_ptr<GenaiStats> stats_;
  asio::io_context io_{1};
  std::unique_ptr<HttpLoop> http_;
  std::unique_ptr<EmbedBatcher> batcher_;
  std::unique_ptr<AttemptRunner> attempts_;
  std::thread thread_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> retiring_{false};
  bool stopping_ = false;  // loop thread only
  std::atomic<bool> exited_{false};
};

}  // namespace gp::genai
