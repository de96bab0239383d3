// Private to src/frontend: what sql_functions.cpp shares with the reader of
// row-argument results (function_rows.cpp).
#pragma once

#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "frontend/sql_functions.h"

namespace gp::frontend::detail {

// How a statement of a multi-statement text ended.
enum class Ended { kDone, kFailed, kSessionEnds };

// Shortest text that reads back as the same double.
std::string shortest(double value);
// NULL or only white space: no upstream call, a NULL value.
bool blank(const std::optional<std::string>& text);
genai::EmbedFormat format_of(sql::AiFunction f);
// The message of a failed request names the function and where its (first)
// call is, and how many calls shared the request.
Error located(Error e, const sql::AiStatement& plan, const std::vector<size_t>& calls);
// The definition of a computed column: TEXT, BLOB or DOUBLE.
mysql::Column computed_column(sql::AiFunction f, std::string name);
void queue_error(FunctionHost& host, const Error& e);
// Which result column each row call's values are in: (call, column) pairs,
// for a result of `count` columns.
Result<std::vector<std::pair<size_t, size_t>>> row_columns(const sql::AiStatement& plan,
                                                           size_t count);

// Sends `command` (a COM_QUERY, or a COM_STMT_EXECUTE of `statement`, whose
// id on the connection is filled in) and writes its answer to the client with
// the row calls computed in batches, sorted and cut when the proxy orders the
// rows. `queries`: per call, GENAI_RERANK's query; `more`: the statement is
// not the last of a multi-statement text.
asio::awaitable<Ended> rewrite_rows(FunctionHost& host, genai::Engine& engine,
                                    const sql::AiStatement& plan,
                                    std::vector<std::optional<std::string>> queries, bool binary,
                                    bool more, std::string digest_text, std::string command,
                                    backend::PreparedText* statement = nullptr);

}  // namespace gp::frontend::detail
