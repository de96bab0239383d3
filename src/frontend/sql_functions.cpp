#include "frontend/sql_functions.h"

#include <algorithm>
#include <functional>
#include <map>

#include "core/coroutine_warnings.h"
#include "frontend/function_rows.h"
#include "genai/errors.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"
#include "mysql/resultset.h"

namespace gp::frontend {

namespace {

using detail::blank;
using detail::computed_column;
using detail::Ended;
using detail::format_of;
using detail::located;
using detail::queue_error;
using detail::shortest;
using sql::AiArgument;
using sql::AiCall;
using sql::AiFunction;
using sql::AiStatement;

struct CallValue {
  bool null = true;
  std::string bytes;  // GENAI_EMBED: JSON text; GENAI_EMBED_BINARY: float32 bytes
  double score = 0;   // GENAI_RERANK
};

using ArgumentText = std::function<std::optional<std::string>(const AiArgument&)>;

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
  co_return co_await detail::rewrite_rows(host, engine, *plan, rerank_queries(*plan, text_of),
                                          false, more, sql::digest_text(text, options),
                                          command(forwarded));
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
  auto located = detail::row_columns(statement.plan, answer->columns.size());
  for (const auto& def : answer->columns) {
    auto c = mysql::parse_column_definition(def);
    ok.columns.push_back(c ? *c : mysql::Column::text("?"));
  }
  if (located) {
    for (auto [call, column] : *located) {
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
  auto ended =
      co_await detail::rewrite_rows(host, engine, plan, rerank_queries(plan, text_of), true, false,
                                    context.digest_text, std::move(command), &statement.backend);
  if (ended == Ended::kSessionEnds) co_return false;
  co_return !co_await ch.flush();
}

}  // namespace gp::frontend
