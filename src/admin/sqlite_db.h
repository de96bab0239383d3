// A small RAII layer over the sqlite3 C API: one connection, prepared
// statements with bound parameters. Values are never spliced into SQL text.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace gp::admin {

// A value bound to or read from a statement; std::nullopt is SQL NULL.
using SqlText = std::optional<std::string>;

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, int64_t value);
  Statement& bind_null(int index);
  Statement& bind(int index, const SqlText& value);

  // Steps once: true when a row is available, false when done.
  Result<bool> step();
  // Steps to completion (for statements that return no rows).
  Result<void> run();
  void reset();

  int column_count() const;
  std::string column_name(int i) const;
  int column_type(int i) const;  // SQLITE_INTEGER, ..., after a step that gave a row
  const char* column_decltype(int i) const;
  SqlText column_text(int i) const;
  std::string column_string(int i) const;  // NULL reads as ""
  int64_t column_int(int i) const;

  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  static Result<Database> open(const std::string& path);
  Database(Database&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Prepares exactly one statement; text after it other than white space and
  // `;` is an error, so that a second statement can never run unseen.
  Result<Statement> prepare(std::string_view sql);
  // Runs one statement with text parameters bound in order.
  Result<void> exec(std::string_view sql, const std::vector<SqlText>& params = {});
  // Runs several statements with no parameters (schema scripts).
  Result<void> exec_script(const std::string& sql);

  int64_t changes() const;
  int64_t last_insert_rowid() const;
  sqlite3* get() const { return db_; }

  Error error(std::string_view context) const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// Runs a group of writes atomically: rolls back unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_ = nullptr;
};

}  // namespace gp::admin
