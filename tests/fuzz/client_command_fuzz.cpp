// fuzz-sources: src/frontend/local_answers.cpp src/backend/statement.cpp src/mysql/*.cpp
// What the proxy reads in a client's commands after login, before forwarding
// them: the statements it answers itself and the classification that decides
// whether a session keeps its backend connection. Input: a COM_QUERY text.
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
  auto answer = gp::frontend::answer_locally(sql, has_backend);
  if (!answer) return;
  if (auto* rs = std::get_if<gp::mysql::ResultSet>(&*answer)) {
    for (const auto& row : rs->rows) {
      if (row.size() != rs->columns.size()) __builtin_trap();
      gp::mysql::encode_text_row(row);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view sql(reinterpret_cast<const char*>(data), size);

  auto normal = gp::frontend::normalize_statement(sql);
  if (gp::frontend::normalize_statement(normal) != normal) __builtin_trap();
  check_local(sql, true);
  check_local(sql, false);

  auto traits = gp::backend::classify_statement(sql);
  if (traits.use_schema && traits.use_schema->empty()) __builtin_trap();
  // A closed comment in front changes nothing.
  auto commented = gp::backend::classify_statement("/* fuzz */ " + std::string(sql));
  if (!same(traits, commented)) __builtin_trap();
  return 0;
}
