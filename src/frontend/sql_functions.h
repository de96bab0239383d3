// AI functions inside ordinary SQL (SPEC-SQL, docs/SQL.md): statements that
// call GENAI_EMBED, GENAI_EMBED_BINARY or GENAI_RERANK, in COM_QUERY and in
// prepared statements. The calls are computed by the GenAI engine and the
// statement the backend sees has literals, `?` or the row arguments in their
// place; row arguments are computed on the rows as they come back.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "frontend/packet_channel.h"
#include "genai/engine.h"
#include "mysql/prepared.h"
#include "sql/sql.h"

namespace gp::frontend {

// What these statements need from their client session.
class FunctionHost {
 public:
  virtual ~FunctionHost() = default;
  virtual PacketChannel& channel() = 0;
  virtual uint32_t capabilities() const = 0;
  // The session's status flags, for the answers the proxy writes.
  virtual uint16_t status_flags() const = 0;
  // The session's backend; nullptr when its hostgroup has no server.
  virtual std::shared_ptr<backend::BackendSession> backend() = 0;
  virtual genai::RequestContext request_context() = 0;
  virtual const GenaiSettings& genai_settings() const = 0;
  // Relays a command's response unchanged; false when the session must end.
  virtual asio::awaitable<bool> relay(std::string packet) = 0;
  // Relays the answer to COM_STMT_EXECUTE of `statement` (see
  // BackendSession::execute); false when the session must end.
  virtual asio::awaitable<bool> execute_on_backend(backend::PreparedText& statement,
                                                   std::string packet) = 0;
};

// A prepared statement with calls: where each of the backend's parameters
// comes from.
struct FunctionStatement {
  std::string text;  // the client's statement; the plan's offsets point into it
  sql::AiStatement plan;
  backend::PreparedText backend;  // what the backend prepares (its text)
  struct Source {
    bool call = false;  // the value of plan.calls[index], or client parameter `index`
    size_t index = 0;
  };
  std::vector<Source> backend_params;
};

// The plan of a prepared statement (pure). An error is 9101 as for COM_QUERY.
Result<FunctionStatement> plan_prepared(std::string_view sql, sql::LexOptions options);

// COM_QUERY of a text that mentions genai_: every statement of it in order.
// Returns false when the session must end.
asio::awaitable<bool> run_function_query(FunctionHost& host, genai::Engine& engine,
                                         std::string_view sql, sql::LexOptions options);

// COM_STMT_PREPARE of a planned statement: prepared on the backend (or, for
// a SELECT without FROM, answered by the proxy alone) and answered with the
// client's parameter count and the computed columns' types.
asio::awaitable<bool> prepare_function_statement(FunctionHost& host, FunctionStatement& statement,
                                                 uint32_t client_id, bool& prepared);

// COM_STMT_EXECUTE of such a statement, with the client's bound values.
asio::awaitable<bool> execute_function_statement(FunctionHost& host, genai::Engine& engine,
                                                 FunctionStatement& statement,
                                                 const std::vector<mysql::ParamValue>& params);

}  // namespace gp::frontend
