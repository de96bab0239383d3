// The answer of a statement with row calls (SPEC-SQL §2.3): read from the
// backend part by part, its computed columns retyped and their values
// computed as the rows arrive.
#include "frontend/function_rows.h"

#include <algorithm>
#include <charconv>

#include "core/coroutine_warnings.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"
#include "mysql/resultset.h"

namespace gp::frontend::detail {

namespace {

using sql::AiCall;
using sql::AiFunction;
using sql::AiStatement;
using Part = backend::BackendSession::ResponsePart;

// Sets SERVER_MORE_RESULTS_EXISTS in an OK or EOF payload: the statement is
// not the last of a multi-statement text the proxy runs one by one.
void set_more_results(std::string& payload, uint32_t caps) {
  size_t at;
  if (static_cast<uint8_t>(payload[0]) == 0xfe && !(caps & mysql::cap::kDeprecateEof)) {
    at = 3;  // 0xfe, warnings, status
  } else {
    auto lenenc = [&](size_t i) -> size_t {
      if (i >= payload.size()) return 1;
      auto b = static_cast<uint8_t>(payload[i]);
      return b < 0xfb ? 1 : b == 0xfc ? 3 : b == 0xfd ? 4 : b == 0xfe ? 9 : 1;
    };
    at = 1;
    at += lenenc(at);
    at += lenenc(at);
  }
  if (at + 2 > payload.size()) return;
  payload[at] = static_cast<char>(payload[at] | mysql::status::kMoreResultsExist);
}

// Rows passed through unchanged are written in chunks of about this size.
constexpr size_t kFlushBytes = 64 * 1024;

size_t batch_size(const GenaiSettings& g) {
  return static_cast<size_t>(std::max(1, g.batch_size > 0 ? g.batch_size : g.batch_max_documents));
}

// The rows of one statement with row calls, read from the backend, computed
// in batches and written to the client (sorted and cut first when the proxy
// orders them).
class RowRewriter {
 public:
  RowRewriter(FunctionHost& host, genai::Engine& engine, const AiStatement& plan,
              std::vector<std::optional<std::string>> queries, bool binary, bool more,
              std::string digest_text)
      : host_(host),
        engine_(engine),
        plan_(plan),
        queries_(std::move(queries)),
        binary_(binary),
        more_(more),
        settings_(host.genai_settings()),
        digest_text_(std::move(digest_text)) {}

  // `statement`: the command is an execute of it (its id on the connection
  // is filled in).
  asio::awaitable<Ended> run(std::string command, backend::PreparedText* statement = nullptr) {
    auto backend = host_.backend();
    if (statement) {
      auto id = co_await backend->statement_id(*statement);
      if (!id) {
        queue_error(host_, id.error());
        co_return Ended::kFailed;
      }
      mysql::set_statement_id(command, *id);
    }
    auto sent = co_await backend->send(command);
    if (!sent) {
      queue_error(host_, sent.error());
      co_return Ended::kFailed;
    }
    for (;;) {
      auto part = co_await backend->read_part();
      if (!part) {
        queue_error(host_, part.error());
        co_return Ended::kFailed;
      }
      switch (part->kind) {
        case Part::Kind::kError:
          host_.channel().queue(part->packet);
          co_return Ended::kFailed;
        case Part::Kind::kOk:
          if (more_ && part->last) set_more_results(part->packet, host_.capabilities());
          host_.channel().queue(part->packet);
          if (part->last) co_return Ended::kDone;
          break;
        case Part::Kind::kColumns:
          if (auto ok = columns(part->columns); !ok) {
            co_await backend->discard_response();
            queue_error(host_, ok.error());
            co_return Ended::kFailed;
          }
          break;
        case Part::Kind::kRow:
          if (host_.channel().out().size() >= kFlushBytes) {
            if (co_await host_.channel().flush()) co_return Ended::kSessionEnds;
          }
          if (auto ok = row(part->packet); !ok) {
            co_await backend->discard_response();
            queue_error(host_, ok.error());
            co_return Ended::kFailed;
          }
          if (!plan_.order && pending_.size() >= batch_size(settings_)) {
            if (auto ok = co_await write_batch(); !ok) {
              co_await backend->discard_response();
              queue_error(host_, ok.error());
              co_return Ended::kFailed;
            }
            if (co_await host_.channel().flush()) co_return Ended::kSessionEnds;
          }
          break;
        case Part::Kind::kEnd: {
          auto ok = co_await finish_rows();
          if (!ok) {
            co_await backend->discard_response();
            queue_error(host_, ok.error());
            co_return Ended::kFailed;
          }
          if (more_ && part->last) set_more_results(part->packet, host_.capabilities());
          host_.channel().queue(part->packet);
          if (part->last) co_return Ended::kDone;
          break;
        }
      }
    }
  }

 private:
  Result<void> columns(const std::vector<std::string>& defs) {
    backend_columns_.clear();
    client_columns_.clear();
    for (const auto& d : defs) {
      auto c = mysql::parse_column_definition(d);
      if (!c) return std::unexpected(c.error());
      backend_columns_.push_back(*c);
    }
    auto located = row_columns(plan_, defs.size());
    if (!located) return std::unexpected(located.error());
    targets_ = std::move(*located);
    client_columns_ = backend_columns_;
    std::vector<bool> changed(defs.size(), false);
    for (auto [call, column] : targets_) {
      auto c = computed_column(plan_.calls[call].function, plan_.calls[call].column_name);
      c.table = backend_columns_[column].table;
      c.schema = backend_columns_[column].schema;
      client_columns_[column] = c;
      changed[column] = true;
    }
    std::string count;
    mysql::put_lenenc_int(count, defs.size());
    auto& ch = host_.channel();
    ch.queue(count);
    for (size_t i = 0; i < defs.size(); ++i) {
      if (changed[i]) {
        ch.queue(mysql::encode_column_definition(client_columns_[i]));
      } else {
        ch.queue(defs[i]);
      }
    }
    if (!(host_.capabilities() & mysql::cap::kDeprecateEof)) {
      mysql::EofPacket eof;
      eof.status_flags = host_.status_flags();
      ch.queue(mysql::encode_eof(eof, host_.capabilities()));
    }
    rows_seen_ = 0;
    return {};
  }

  Result<void> row(std::string_view payload) {
    if (targets_.empty()) {
      host_.channel().queue(payload);
      return {};
    }
    if (++rows_seen_ > static_cast<uint64_t>(settings_.max_documents)) {
      const AiCall& call = plan_.calls[targets_.empty() ? 0 : targets_[0].first];
      return make_error(errc::kGenaiInvalidRequest,
                        std::string(sql::ai_function_name(call.function)) + " at byte " +
                            std::to_string(call.begin) + ": more than genai-max_documents=" +
                            std::to_string(settings_.max_documents) +
                            " rows; bound the candidates with LIMIT in a derived table");
    }
    auto values = binary_ ? mysql::parse_binary_row(payload, backend_columns_)
                          : mysql::parse_text_row(payload, backend_columns_.size());
    if (!values) return std::unexpected(values.error());
    pending_.push_back(std::move(*values));
    return {};
  }

  // Computes the row calls of the pending rows not computed yet.
  asio::awaitable<Result<void>> compute(size_t from) {
    if (from >= pending_.size()) co_return Result<void>{};
    auto context = host_.request_context();
    context.digest_text = digest_text_;
    for (auto [c, column] : targets_) {
      const AiCall& call = plan_.calls[c];
      genai::Documents docs;
      docs.reserve(pending_.size() - from);
      for (size_t r = from; r < pending_.size(); ++r) docs.push_back(pending_[r][column]);
      if (call.function == AiFunction::kRerank) {
        const auto& query = queries_[c];
        if (blank(query)) {
          for (size_t r = from; r < pending_.size(); ++r) pending_[r][column].reset();
          continue;
        }
        auto got = co_await engine_.rerank_values(*query, std::move(docs), call.model, context);
        if (!got) co_return std::unexpected(located(got.error(), plan_, {c}));
        for (size_t r = from; r < pending_.size(); ++r) {
          auto& score = (*got)[r - from];
          pending_[r][column] = score ? std::optional<std::string>(shortest(*score)) : std::nullopt;
        }
      } else {
        std::vector<genai::EmbedFormat> formats(docs.size(), format_of(call.function));
        auto got =
            co_await engine_.embed_values(std::move(docs), std::move(formats), call.model, context);
        if (!got) co_return std::unexpected(located(got.error(), plan_, {c}));
        for (size_t r = from; r < pending_.size(); ++r) {
          pending_[r][column] = std::move((*got)[r - from]);
        }
      }
    }
    co_return Result<void>{};
  }

  Result<void> write_rows(size_t from, size_t to) {
    auto& ch = host_.channel();
    for (size_t r = from; r < to; ++r) {
      if (binary_) {
        auto encoded = mysql::encode_binary_row(pending_[r], client_columns_);
        if (!encoded) return std::unexpected(encoded.error());
        ch.queue(*encoded);
      } else {
        ch.queue(mysql::encode_text_row(pending_[r]));
      }
    }
    return {};
  }

  asio::awaitable<Result<void>> write_batch() {
    auto computed = co_await compute(0);
    if (!computed) co_return computed;
    auto written = write_rows(0, pending_.size());
    pending_.clear();
    co_return written;
  }

  asio::awaitable<Result<void>> finish_rows() {
    if (!plan_.order) co_return co_await write_batch();
    size_t step = batch_size(settings_);
    for (size_t from = 0; from < pending_.size(); from += step) {
      // compute() covers [from, end): cut the tail off while computing.
      std::vector<mysql::Row> tail(
          pending_.begin() + static_cast<ptrdiff_t>(std::min(pending_.size(), from + step)),
          pending_.end());
      pending_.resize(std::min(pending_.size(), from + step));
      auto computed = co_await compute(from);
      pending_.insert(pending_.end(), std::make_move_iterator(tail.begin()),
                      std::make_move_iterator(tail.end()));
      if (!computed) co_return computed;
    }
    const auto& order = *plan_.order;
    size_t column = 0;
    for (auto [c, col] : targets_) {
      if (c == order.call) column = col;
    }
    bool numeric = plan_.calls[order.call].function == AiFunction::kRerank;
    auto key = [&](const mysql::Row& r) { return numeric ? std::stod(*r[column]) : 0.0; };
    std::stable_sort(pending_.begin(), pending_.end(),
                     [&](const mysql::Row& a, const mysql::Row& b) {
                       if (!a[column] || !b[column]) return a[column].has_value() && !b[column];
                       if (numeric) return order.descending ? key(a) > key(b) : key(a) < key(b);
                       return order.descending ? *a[column] > *b[column] : *a[column] < *b[column];
                     });
    size_t from = std::min<uint64_t>(order.offset, pending_.size());
    size_t to =
        order.limit ? std::min<uint64_t>(from + *order.limit, pending_.size()) : pending_.size();
    auto written = write_rows(from, to);
    pending_.clear();
    co_return written;
  }

  FunctionHost& host_;
  genai::Engine& engine_;
  const AiStatement& plan_;
  std::vector<std::optional<std::string>> queries_;  // per call: GENAI_RERANK's query
  bool binary_;
  bool more_;
  const GenaiSettings& settings_;
  std::vector<mysql::Column> backend_columns_;
  std::vector<mysql::Column> client_columns_;
  std::vector<std::pair<size_t, size_t>> targets_;
  std::vector<mysql::Row> pending_;
  uint64_t rows_seen_ = 0;
  std::string digest_text_;
};

}  // namespace

std::string shortest(double value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, res.ptr);
}

bool blank(const std::optional<std::string>& text) {
  return !text || text->find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

genai::EmbedFormat format_of(AiFunction f) {
  return f == AiFunction::kEmbedBinary ? genai::EmbedFormat::kBinary : genai::EmbedFormat::kJson;
}

Error located(Error e, const AiStatement& plan, const std::vector<size_t>& calls) {
  if (calls.empty() || e.message.find(" at byte ") != std::string::npos) return e;
  const AiCall& call = plan.calls[calls[0]];
  std::string where =
      std::string(sql::ai_function_name(call.function)) + " at byte " + std::to_string(call.begin);
  if (calls.size() > 1) {
    where += " (and " + std::to_string(calls.size() - 1) + " more call" +
             (calls.size() > 2 ? "s" : "") + " in the same request)";
  }
  e.message = where + ": " + e.message;
  return e;
}

mysql::Column computed_column(AiFunction f, std::string name) {
  switch (f) {
    case AiFunction::kEmbed: {
      // TEXT: a BLOB type with a character set.
      auto c = mysql::Column::blob(std::move(name));
      c.charset = mysql::charset::kUtf8mb4GeneralCi;
      c.flags = mysql::column_flag::kBlob;
      return c;
    }
    case AiFunction::kEmbedBinary:
      return mysql::Column::blob(std::move(name));
    case AiFunction::kRerank:
      return mysql::Column::dbl(std::move(name));
  }
  return mysql::Column::blob(std::move(name));
}

Result<std::vector<std::pair<size_t, size_t>>> row_columns(const AiStatement& plan, size_t count) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    const AiCall& call = plan.calls[c];
    if (!call.row()) continue;
    if (call.column >= count) {
      return make_error(errc::kGenaiInvalidRequest,
                        std::string(sql::ai_function_name(call.function)) + " at byte " +
                            std::to_string(call.begin) +
                            ": the backend's result has no column for it");
    }
    out.emplace_back(c, call.column_from_end ? count - 1 - call.column : call.column);
  }
  return out;
}

void queue_error(FunctionHost& host, const Error& e) {
  host.channel().queue(mysql::encode_err(e, host.capabilities()));
}

asio::awaitable<Ended> rewrite_rows(FunctionHost& host, genai::Engine& engine,
                                    const AiStatement& plan,
                                    std::vector<std::optional<std::string>> queries, bool binary,
                                    bool more, std::string digest_text, std::string command,
                                    backend::PreparedText* statement) {
  RowRewriter rewriter(host, engine, plan, std::move(queries), binary, more,
                       std::move(digest_text));
  co_return co_await rewriter.run(std::move(command), statement);
}

}  // namespace gp::frontend::detail
