#include "frontend/sql_functions.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>

#include "core/coroutine_warnings.h"
#include "genai/errors.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"
#include "mysql/resultset.h"

namespace gp::frontend {

namespace {

using sql::AiArgument;
using sql::AiCall;
using sql::AiFunction;
using sql::AiStatement;
using Part = backend::BackendSession::ResponsePart;

// How a statement of a multi-statement text ended.
enum class Ended { kDone, kFailed, kSessionEnds };

struct CallValue {
  bool null = true;
  std::string bytes;  // GENAI_EMBED: JSON text; GENAI_EMBED_BINARY: float32 bytes
  double score = 0;   // GENAI_RERANK
};

using ArgumentText = std::function<std::optional<std::string>(const AiArgument&)>;

std::string shortest(double value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, res.ptr);
}

std::optional<std::string> parameter_text(const mysql::ParamValue& v) {
  using K = mysql::ParamValue::Kind;
  switch (v.kind) {
    case K::kNull:
      return std::nullopt;
    case K::kSigned:
      return std::to_string(v.i);
    case K::kUnsigned:
      return std::to_string(v.u);
    case K::kDouble:
      return shortest(v.d);
    default:
      return v.text;
  }
}

bool blank(const std::optional<std::string>& text) {
  return !text || text->find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

genai::EmbedFormat format_of(AiFunction f) {
  return f == AiFunction::kEmbedBinary ? genai::EmbedFormat::kBinary : genai::EmbedFormat::kJson;
}

// The message of a failed request names the function and where its (first)
// call is, and how many calls shared the request.
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

// The calls of `calls` whose arguments are known (constants or parameters),
// computed together: one engine request per embedding model, and one per
// rerank model and query.
asio::awaitable<Result<std::vector<CallValue>>> compute_calls(genai::Engine& engine,
                                                              genai::RequestContext context,
                                                              const AiStatement& plan,
                                                              const ArgumentText& text_of) {
  std::vector<CallValue> values(plan.calls.size());
  std::map<std::optional<std::string>, std::vector<size_t>> embeds;
  std::map<std::pair<std::optional<std::string>, std::string>, std::vector<size_t>> reranks;
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    const AiCall& call = plan.calls[c];
    if (call.row()) continue;
    if (call.function != AiFunction::kRerank) {
      embeds[call.model].push_back(c);
      continue;
    }
    auto query = text_of(call.arguments[0]);
    if (blank(query)) continue;  // NULL
    reranks[{call.model, *query}].push_back(c);
  }
  for (auto& [model, calls] : embeds) {
    genai::Documents docs;
    std::vector<genai::EmbedFormat> formats;
    for (size_t c : calls) {
      docs.push_back(text_of(plan.calls[c].arguments[0]));
      formats.push_back(format_of(plan.calls[c].function));
    }
    auto got = co_await engine.embed_values(std::move(docs), std::move(formats), model, context);
    if (!got) co_return std::unexpected(located(got.error(), plan, calls));
    for (size_t k = 0; k < calls.size(); ++k) {
      if (!(*got)[k]) continue;
      values[calls[k]].null = false;
      values[calls[k]].bytes = std::move(*(*got)[k]);
    }
  }
  for (auto& [key, calls] : reranks) {
    genai::Documents docs;
    for (size_t c : calls) docs.push_back(text_of(plan.calls[c].arguments[1]));
    auto got = co_await engine.rerank_values(key.second, std::move(docs), key.first, context);
    if (!got) co_return std::unexpected(located(got.error(), plan, calls));
    for (size_t k = 0; k < calls.size(); ++k) {
      if (!(*got)[k]) continue;
      values[calls[k]].null = false;
      values[calls[k]].score = *(*got)[k];
    }
  }
  co_return values;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

std::string literal(const AiCall& call, const CallValue& value, sql::LexOptions options) {
  if (value.null) return "NULL";
  switch (call.function) {
    case AiFunction::kEmbed:
      return sql::quote_string(value.bytes, options);
    case AiFunction::kEmbedBinary:
      return sql::hex_literal(value.bytes);
    case AiFunction::kRerank:
      return sql::double_literal(value.score);
  }
  return "NULL";
}

// The item a row call becomes: its row argument under the item's name.
std::string row_item(std::string_view sql, const AiCall& call) {
  const AiArgument& doc = call.arguments[call.function == AiFunction::kRerank ? 1 : 0];
  return std::string(sql.substr(doc.begin, doc.end - doc.begin)) + " AS " +
         quote_identifier(call.column_name);
}

// The text the backend sees: calls replaced by `constant(c)`, row items by
// their argument, the proxy's own ORDER BY cut.
std::string backend_text(std::string_view sql, const AiStatement& plan,
                         const std::function<std::string(size_t)>& constant) {
  std::vector<sql::Replacement> replacements;
  size_t cut = plan.order ? plan.order->begin : sql.size();
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    const AiCall& call = plan.calls[c];
    if (call.begin >= cut) continue;
    if (call.row()) {
      replacements.push_back({call.item_begin, call.item_end, row_item(sql, call)});
    } else if (call.item && call.item_end == call.end) {
      // An unaliased item keeps the call as its column name, not the value's text.
      replacements.push_back(
          {call.begin, call.end, constant(c) + " AS " + quote_identifier(call.column_name)});
    } else {
      replacements.push_back({call.begin, call.end, constant(c)});
    }
  }
  for (auto [begin, end] : plan.unaliased_items) {
    if (end <= cut) {
      replacements.push_back({end, end, " AS " + quote_identifier(sql.substr(begin, end - begin))});
    }
  }
  if (plan.order) replacements.push_back({cut, sql.size(), ""});
  std::stable_sort(replacements.begin(), replacements.end(),
                   [](const auto& a, const auto& b) { return a.begin < b.begin; });
  return sql::replace_ranges(sql, replacements);
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

std::optional<std::string> value_text(const AiCall& call, const CallValue& v) {
  if (v.null) return std::nullopt;
  if (call.function == AiFunction::kRerank) return shortest(v.score);
  return v.bytes;
}

// The answer to a SELECT without FROM: literals and computed calls.
mysql::ResultSet local_result(const AiStatement& plan, const std::vector<CallValue>& values) {
  mysql::ResultSet rs;
  mysql::Row row;
  for (const auto& item : *plan.local) {
    if (item.call) {
      const AiCall& call = plan.calls[*item.call];
      rs.columns.push_back(computed_column(call.function, item.column_name));
      row.push_back(value_text(call, values[*item.call]));
      continue;
    }
    bool integer =
        item.number && item.value && item.value->find_first_of(".eE") == std::string::npos;
    rs.columns.push_back(integer       ? mysql::Column::bigint(item.column_name)
                         : item.number ? mysql::Column::dbl(item.column_name)
                                       : mysql::Column::text(item.column_name));
    row.push_back(item.value);
  }
  rs.rows.push_back(std::move(row));
  return rs;
}

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

// Which result column each row call's values are in.
struct RowColumns {
  std::vector<std::pair<size_t, size_t>> calls;  // (call, column)
};

Result<RowColumns> row_columns(const AiStatement& plan, size_t count) {
  RowColumns out;
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    const AiCall& call = plan.calls[c];
    if (!call.row()) continue;
    if (call.column >= count) {
      return make_error(errc::kGenaiInvalidRequest,
                        std::string(sql::ai_function_name(call.function)) + " at byte " +
                            std::to_string(call.begin) +
                            ": the backend's result has no column for it");
    }
    out.calls.emplace_back(c, call.column_from_end ? count - 1 - call.column : call.column);
  }
  return out;
}

void queue_error(FunctionHost& host, const Error& e) {
  host.channel().queue(mysql::encode_err(e, host.capabilities()));
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
    targets_ = std::move(located->calls);
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
        if (!got) co_return std::unexpected(located(got.error(), call));
        for (size_t r = from; r < pending_.size(); ++r) {
          auto& score = (*got)[r - from];
          pending_[r][column] = score ? std::optional<std::string>(shortest(*score)) : std::nullopt;
        }
      } else {
        std::vector<genai::EmbedFormat> formats(docs.size(), format_of(call.function));
        auto got =
            co_await engine_.embed_values(std::move(docs), std::move(formats), call.model, context);
        if (!got) co_return std::unexpected(located(got.error(), call));
        for (size_t r = from; r < pending_.size(); ++r) {
          pending_[r][column] = std::move((*got)[r - from]);
        }
      }
    }
    co_return Result<void>{};
  }

  static Error located(Error e, const AiCall& call) {
    if (e.message.find(" at byte ") == std::string::npos) {
      e.message = std::string(sql::ai_function_name(call.function)) + " at byte " +
                  std::to_string(call.begin) + ": " + e.message;
    }
    return e;
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

std::vector<std::optional<std::string>> rerank_queries(const AiStatement& plan,
                                                       const ArgumentText& text_of) {
  std::vector<std::optional<std::string>> queries(plan.calls.size());
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    const AiCall& call = plan.calls[c];
    if (call.function == AiFunction::kRerank && call.row()) queries[c] = text_of(call.arguments[0]);
  }
  return queries;
}

Error no_backend() {
  return Error::make(errc::kBackendUnavailable,
                     "this statement needs a MySQL server, and this user's hostgroup has none "
                     "(a SELECT without FROM of GENAI functions of constants works without one)");
}

std::optional<Error> parameter_outside_prepare(const AiStatement& plan) {
  for (const auto& call : plan.calls) {
    for (const auto& arg : call.arguments) {
      if (arg.kind == AiArgument::Kind::kParameter) {
        return Error::make(errc::kGenaiInvalidRequest,
                           std::string(sql::ai_function_name(call.function)) + " at byte " +
                               std::to_string(call.begin) +
                               ": a ? parameter is only bound in a prepared statement");
      }
    }
  }
  return std::nullopt;
}

asio::awaitable<Ended> run_statement(FunctionHost& host, genai::Engine& engine,
                                     std::string_view text, sql::LexOptions options, bool multi,
                                     bool more) {
  // Without a backend, a statement of literals alone is answered here too.
  bool backend_available = host.backend() != nullptr;
  auto plan = sql::find_ai_functions(text, options, !backend_available);
  if (!plan) {
    queue_error(host, plan.error());
    co_return Ended::kFailed;
  }
  if (!plan->calls.empty() && !host.genai_settings().enabled) {
    queue_error(host, genai::disabled_error());
    co_return Ended::kFailed;
  }
  auto command = [&](std::string_view sql) {
    return std::string(1, static_cast<char>(mysql::Command::kQuery)) + std::string(sql);
  };
  if (auto e = parameter_outside_prepare(*plan)) {
    queue_error(host, *e);
    co_return Ended::kFailed;
  }
  ArgumentText text_of = [](const AiArgument& a) { return a.value; };
  std::vector<CallValue> values;
  if (!plan->calls.empty()) {
    auto context = host.request_context();
    context.digest_text = sql::digest_text(text, options);
    auto computed = co_await compute_calls(engine, std::move(context), *plan, text_of);
    if (!computed) {
      queue_error(host, computed.error());
      co_return Ended::kFailed;
    }
    values = std::move(*computed);
  }
  if (plan->local) {
    uint16_t flags = host.status_flags();
    if (more) flags |= mysql::status::kMoreResultsExist;
    mysql::append_resultset(host.channel().out(), host.channel().seq(), local_result(*plan, values),
                            host.capabilities(), flags);
    co_return Ended::kDone;
  }
  if (!backend_available) {
    queue_error(host, no_backend());
    co_return Ended::kFailed;
  }
  std::string forwarded =
      plan->calls.empty() ? std::string(text) : backend_text(text, *plan, [&](size_t c) {
        return literal(plan->calls[c], values[c], options);
      });
  // The relay writes straight to the client: only for a statement alone,
  // whose packets need no sequence ids after other results.
  if (!plan->has_row_calls() && !multi) {
    co_return co_await host.relay(command(forwarded)) ? Ended::kDone : Ended::kSessionEnds;
  }
  RowRewriter rewriter(host, engine, *plan, rerank_queries(*plan, text_of), false, more,
                       sql::digest_text(text, options));
  co_return co_await rewriter.run(command(forwarded));
}

}  // namespace

asio::awaitable<bool> run_function_query(FunctionHost& host, genai::Engine& engine,
                                         std::string_view sql, sql::LexOptions options) {
  auto pieces = sql::split_statements(sql, options);
  bool multi = pieces.size() > 1;
  if (pieces.empty() || (multi && !(host.capabilities() & mysql::cap::kMultiStatements))) {
    // Nothing to compute, or a text the server refuses as a whole.
    if (!host.backend()) {
      queue_error(host, no_backend());
      co_return !co_await host.channel().flush();
    }
    co_return co_await host.relay(std::string(1, static_cast<char>(mysql::Command::kQuery)) +
                                  std::string(sql));
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    bool more = i + 1 < pieces.size();
    // A single statement keeps its comments and white space.
    std::string_view text = multi ? pieces[i] : sql;
    auto ended = co_await run_statement(host, engine, text, options, multi, more);
    if (ended == Ended::kSessionEnds) co_return false;
    if (ended == Ended::kFailed) break;
  }
  co_return !co_await host.channel().flush();
}

Result<FunctionStatement> plan_prepared(std::string_view sql, sql::LexOptions options) {
  FunctionStatement fs;
  fs.text = std::string(sql);
  auto plan = sql::find_ai_functions(fs.text, options);
  if (!plan) return std::unexpected(plan.error());
  fs.plan = std::move(*plan);
  if (fs.plan.calls.empty()) return fs;
  fs.backend.text = backend_text(fs.text, fs.plan, [](size_t) { return std::string("?"); });
  // The backend's `?` in text order: the client's own outside calls, and one
  // per call computed at execute.
  size_t cut = fs.plan.order ? fs.plan.order->begin : fs.text.size();
  std::vector<std::pair<size_t, FunctionStatement::Source>> sources;
  for (size_t p = 0; p < fs.plan.parameter_offsets.size(); ++p) {
    size_t at = fs.plan.parameter_offsets[p];
    bool inside = false;
    for (const auto& call : fs.plan.calls) {
      size_t begin = call.row() ? call.item_begin : call.begin;
      size_t end = call.row() ? call.item_end : call.end;
      if (at >= begin && at < end) inside = true;
    }
    if (!inside && at < cut) sources.push_back({at, {false, p}});
  }
  for (size_t c = 0; c < fs.plan.calls.size(); ++c) {
    if (!fs.plan.calls[c].row() && fs.plan.calls[c].begin < cut) {
      sources.push_back({fs.plan.calls[c].begin, {true, c}});
    }
  }
  std::sort(sources.begin(), sources.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [at, source] : sources) fs.backend_params.push_back(source);
  return fs;
}

asio::awaitable<bool> prepare_function_statement(FunctionHost& host, FunctionStatement& statement,
                                                 uint32_t client_id, bool& prepared) {
  prepared = false;
  auto& ch = host.channel();
  mysql::PrepareOk ok;
  ok.statement_id = client_id;
  ok.params.assign(statement.plan.parameters, mysql::param_column());
  if (statement.plan.local) {
    std::vector<CallValue> nulls(statement.plan.calls.size());
    ok.columns = local_result(statement.plan, nulls).columns;
    mysql::append_prepare_ok(ch.out(), ch.seq(), ok, host.capabilities());
    prepared = true;
    co_return !co_await ch.flush();
  }
  auto backend = host.backend();
  if (!backend) {
    queue_error(host, no_backend());
    co_return !co_await ch.flush();
  }
  auto answer = co_await backend->prepare_answer(statement.backend);
  if (!answer) {
    queue_error(host, answer.error());
    co_return !co_await ch.flush();
  }
  if (answer->error) {
    ch.queue(*answer->error);
    co_return !co_await ch.flush();
  }
  ok.warnings = answer->warnings;
  auto located = row_columns(statement.plan, answer->columns.size());
  for (const auto& def : answer->columns) {
    auto c = mysql::parse_column_definition(def);
    ok.columns.push_back(c ? *c : mysql::Column::text("?"));
  }
  if (located) {
    for (auto [call, column] : located->calls) {
      ok.columns[column] = computed_column(statement.plan.calls[call].function,
                                           statement.plan.calls[call].column_name);
    }
  }
  ok.status_flags = host.status_flags();
  mysql::append_prepare_ok(ch.out(), ch.seq(), ok, host.capabilities());
  prepared = true;
  co_return !co_await ch.flush();
}

asio::awaitable<bool> execute_function_statement(FunctionHost& host, genai::Engine& engine,
                                                 FunctionStatement& statement,
                                                 const std::vector<mysql::ParamValue>& params) {
  auto& ch = host.channel();
  const AiStatement& plan = statement.plan;
  if (!host.genai_settings().enabled) {
    queue_error(host, genai::disabled_error());
    co_return !co_await ch.flush();
  }
  ArgumentText text_of = [&](const AiArgument& a) -> std::optional<std::string> {
    if (a.kind == AiArgument::Kind::kParameter) {
      return a.parameter < params.size() ? parameter_text(params[a.parameter]) : std::nullopt;
    }
    return a.value;
  };
  auto context = host.request_context();
  context.digest_text = sql::digest_text(statement.text);
  auto computed = co_await compute_calls(engine, context, plan, text_of);
  if (!computed) {
    queue_error(host, computed.error());
    co_return !co_await ch.flush();
  }
  if (plan.local) {
    auto written = mysql::append_binary_resultset(ch.out(), ch.seq(), local_result(plan, *computed),
                                                  host.capabilities(), host.status_flags());
    if (!written) queue_error(host, written.error());
    co_return !co_await ch.flush();
  }
  if (!host.backend()) {
    queue_error(host, no_backend());
    co_return !co_await ch.flush();
  }
  std::vector<mysql::ParamValue> bound;
  bound.reserve(statement.backend_params.size());
  for (const auto& source : statement.backend_params) {
    if (!source.call) {
      bound.push_back(params[source.index]);
      continue;
    }
    const AiCall& call = plan.calls[source.index];
    const CallValue& v = (*computed)[source.index];
    mysql::ParamValue p;
    if (!v.null) {
      switch (call.function) {
        case AiFunction::kEmbed:
          p.kind = mysql::ParamValue::Kind::kString;
          p.text = v.bytes;
          break;
        case AiFunction::kEmbedBinary:
          p.kind = mysql::ParamValue::Kind::kBytes;
          p.type = mysql::ColumnType::kBlob;
          p.text = v.bytes;
          break;
        case AiFunction::kRerank:
          p.kind = mysql::ParamValue::Kind::kDouble;
          p.d = v.score;
          break;
      }
    }
    bound.push_back(std::move(p));
  }
  std::string command = mysql::encode_execute(0, bound);
  if (!plan.has_row_calls()) {
    co_return co_await host.execute_on_backend(statement.backend, std::move(command));
  }
  RowRewriter rewriter(host, engine, plan, rerank_queries(plan, text_of), true, false,
                       context.digest_text);
  auto ended = co_await rewriter.run(std::move(command), &statement.backend);
  if (ended == Ended::kSessionEnds) co_return false;
  co_return !co_await ch.flush();
}

}  // namespace gp::frontend
