// A client session's prepared statements. Clients see ids the proxy gives
// out, so that GENAI statements (answered by the proxy) and statements
// prepared on a backend share one id space on one connection. Thread
// affinity: the owning session's executor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "genai/parameters.h"
#include "mysql/prepared.h"

namespace gp::frontend {

struct FunctionStatement;  // frontend/sql_functions.h

struct PreparedStatement {
  // Set for a GENAI statement.
  std::optional<genai::GenaiTemplate> genai;
  // Set for a statement of the backend's: its text, prepared on whichever
  // connection executes it.
  std::shared_ptr<backend::PreparedText> backend;
  // Set for a statement with AI functions in SQL (prepared on the backend
  // as its plan's backend text, unless the proxy answers it alone).
  std::shared_ptr<FunctionStatement> functions;
  // On the admin interface: the text, bound and run at each execute.
  std::string text;
  // The digest its executes count under in stats_mysql_query_digest.
  std::string digest_text;
  uint16_t param_count = 0;
  // Types bound by the last execute (a client may send them only once).
  std::vector<mysql::ParamType> types;
  // COM_STMT_SEND_LONG_DATA since the last execute or reset.
  std::vector<std::optional<std::string>> long_data;

  // MySQL keeps quiet about a bad parameter number here too: it fails nothing.
  void add_long_data(const mysql::LongData& data) {
    if (data.param_id >= long_data.size()) return;
    auto& slot = long_data[data.param_id];
    if (!slot) slot.emplace();
    slot->append(data.data);
  }
  void clear_long_data() {
    for (auto& data : long_data) data.reset();
  }
};

// `where` names the server function, as MySQL's message does
// ("mysqld_stmt_execute").
inline Error unknown_statement_error(uint32_t id, std::string_view where) {
  return Error::make(errc::kUnknownStatementHandler, "Unknown prepared statement handler (" +
                                                         std::to_string(id) + ") given to " +
                                                         std::string(where));
}

class StatementRegistry {
 public:
  // Ids are never reused within a session: a late command for a closed
  // statement must not reach a new one.
  uint32_t next_id() { return next_id_++; }

  PreparedStatement& add(uint32_t id, PreparedStatement statement) {
    statement.long_data.resize(statement.param_count);
    last_prepared_ = id;
    return statements_[id] = std::move(statement);
  }
  // MariaDB clients may name "the statement prepared last" as 0xffffffff
  // (node mariadb pipelines PREPARE and EXECUTE that way). `id` is replaced
  // by the statement's own id.
  PreparedStatement* find(uint32_t& id) {
    if (id == kLastPrepared) id = last_prepared_;
    auto it = statements_.find(id);
    return it == statements_.end() ? nullptr : &it->second;
  }
  void erase(uint32_t id) { statements_.erase(id); }
  // COM_RESET_CONNECTION, COM_CHANGE_USER: every statement goes; ids go on.
  void clear() { statements_.clear(); }
  bool empty() const { return statements_.empty(); }

 private:
  static constexpr uint32_t kLastPrepared = 0xffffffff;
  std::unordered_map<uint32_t, PreparedStatement> statements_;
  uint32_t next_id_ = 1;
  uint32_t last_prepared_ = 0;
};

}  // namespace gp::frontend
