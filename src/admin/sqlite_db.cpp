#include "admin/sqlite_db.h"

#include <cctype>

namespace gp::admin {

namespace {

bool only_blanks_or_semicolons(const char* p) {
  for (; p && *p; ++p) {
    if (*p != ';' && !std::isspace(static_cast<unsigned char>(*p))) return false;
  }
  return true;
}

}  // namespace

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::bind(int index, const SqlText& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  return make_error(errc::kUnknownError, sqlite3_errmsg(db));
}

Result<void> Statement::run() {
  for (;;) {
    auto more = step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const {
  return sqlite3_column_count(stmt_);
}

std::string Statement::column_name(int i) const {
  const char* name = sqlite3_column_name(stmt_, i);
  return name ? name : "";
}

int Statement::column_type(int i) const {
  return sqlite3_column_type(stmt_, i);
}

const char* Statement::column_decltype(int i) const {
  return sqlite3_column_decltype(stmt_, i);
}

SqlText Statement::column_text(int i) const {
  if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) return std::nullopt;
  // For a BLOB, text conversion is a byte copy; the length is what counts.
  const void* data = sqlite3_column_type(stmt_, i) == SQLITE_BLOB ? sqlite3_column_blob(stmt_, i)
                                                                  : sqlite3_column_text(stmt_, i);
  int size = sqlite3_column_bytes(stmt_, i);
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

std::string Statement::column_string(int i) const {
  return column_text(i).value_or("");
}

int64_t Statement::column_int(int i) const {
  return sqlite3_column_int64(stmt_, i);
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = other.db_;
    other.db_ = nullptr;
  }
  return *this;
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

namespace {

int hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// MySQL's UNHEX() (SQLite 3.40 has none; proxysql-admin compares password
// hashes with it): the bytes of a hex string; NULL for NULL or a character
// that is not a hex digit; an odd length reads as if led by a zero.
void unhex(sqlite3_context* context, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = sqlite3_value_text(argv[0]);
  size_t n = static_cast<size_t>(sqlite3_value_bytes(argv[0]));
  std::string out;
  out.reserve(n / 2 + 1);
  size_t i = 0;
  if (n % 2 == 1) {
    int low = hex_digit(text[0]);
    if (low < 0) return sqlite3_result_null(context);
    out.push_back(static_cast<char>(low));
    i = 1;
  }
  for (; i < n; i += 2) {
    int high = hex_digit(text[i]);
    int low = hex_digit(text[i + 1]);
    if (high < 0 || low < 0) return sqlite3_result_null(context);
    out.push_back(static_cast<char>(high * 16 + low));
  }
  sqlite3_result_blob(context, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

}  // namespace

Result<Database> Database::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return make_error(errc::kUnknownError, "cannot open database " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_create_function(db, "unhex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, &unhex,
                          nullptr, nullptr);
  return Database(db);
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  if (rc != SQLITE_OK) return std::unexpected(error("prepare"));
  Statement stmt(raw);
  // `tail` points into `sql`, which need not be NUL-terminated.
  std::string rest(tail ? tail : sql.data() + sql.size(), sql.data() + sql.size());
  if (!only_blanks_or_semicolons(rest.c_str())) {
    return make_error(errc::kParseError,
                      "only one statement per query is accepted on the admin interface");
  }
  if (!raw) return make_error(errc::kParseError, "empty statement");
  return stmt;
}

Result<void> Database::exec(std::string_view sql, const std::vector<SqlText>& params) {
  auto stmt = prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  for (size_t i = 0; i < params.size(); ++i) stmt->bind(static_cast<int>(i + 1), params[i]);
  return stmt->run();
}

Result<void> Database::exec_script(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return make_error(errc::kUnknownError, text);
  }
  return {};
}

int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

Error Database::error(std::string_view context) const {
  return Error::make(errc::kUnknownError, sqlite3_errmsg(db_));
}

Result<Transaction> Transaction::begin(Database& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) db_->exec_script("ROLLBACK");
}

Result<void> Transaction::commit() {
  auto r = db_->exec("COMMIT");
  if (r) db_ = nullptr;
  return r;
}

}  // namespace gp::admin
