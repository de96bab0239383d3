// fuzz-sources: src/frontend/local_answers.cpp src/sql/*.cpp src/backend/statement.cpp
// src/mysql/*.cpp src/mysql/*.cpp What the proxy reads in a client's commands after login, before
// forwarding them: the statements it answers itself and the classification that decides whether a
// session keeps its backend connection. Input: a COM_QUERY text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "backend/statement.h"
#include "frontend/local_answers.h"

namespace {

bool same(const gp::backend::StatementTraits& a, const gp::backend::StatementTraits& b) {
  return a.pins == b.pins && a.use_schema == b.use_schema;
}

void check_local(std::string_view sql, bool has_backend) {
  gp::sql::SessionDefaults defaults;
  defaults.version = "10.11.6-MariaDB-genaiproxy";
  auto variables = gp::sql::SessionVariables::defaults(defaults);
  gp::sql::SessionInfo info{"app", "127.0.0.1", "", 1};
  auto answer = gp::frontend::answer_locally(sql, has_backend, variables, info);
  if (!answer || !*answer) return;
  if (has_backend && !std::holds_alternative<gp::mysql::ResultSet>((*answer)->result)) {
    __builtin_trap();  // with a backend only the banner query is answered
  }
  if (auto* rs = std::get_if<gp::mysql::ResultSet>(&(*answer)->result)) {
    for (const auto& row : rs->rows) {
      if (row.size() != rs->columns.size()) __builtin_trap();
      gp::mysql::encode_text_row(row);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view sql(reinterpret_cast<const char*>(data), size);

  check_local(sql, true);
  check_local(sql, false);

  auto traits = gp::backend::classify_statement(sql);
  if (traits.use_schema && traits.use_schema->empty()) __builtin_trap();
  // A closed comment in front changes nothing.
  auto commented = gp::backend::classify_statement("/* fuzz */ " + std::string(sql));
  if (!same(traits, commented)) __builtin_trap();
  return 0;
}
