#include "store/sqlite_util.h"

#include <utility>

namespace zsup::sql {

Status Error(sqlite3* db, const std::string& what) {
  return Status::Error("store: " + what + ": " + sqlite3_errmsg(db));
}

Result<StmtPtr> Prepare(sqlite3* db, std::string_view sql, const std::string& what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(db, what);
  // Empty SQL yields no statement; every caller passes a real one.
  ZSUP_CHECK(stmt != nullptr);
  return stmt;
}

Status Exec(sqlite3* db, const std::string& sql, const std::string& what) {
  // sqlite3_exec leaves its error in sqlite3_errmsg too.
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error(db, what);
  }
  return Status::Ok();
}

namespace {

// Steps a one-off query to its first row, which must exist.
Result<StmtPtr> FirstRow(sqlite3* db, const std::string& sql, const std::string& what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(db, what);
  rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return Status::Error("store: " + what + ": no result");
  if (rc != SQLITE_ROW) return Error(db, what);
  return stmt;
}

}  // namespace

Result<int64_t> QueryInt(sqlite3* db, const std::string& sql, const std::string& what) {
  auto stmt = FirstRow(db, sql, what);
  if (!stmt.ok()) return stmt.status();
  return static_cast<int64_t>(sqlite3_column_int64(stmt->get(), 0));
}

Result<std::string> QueryText(sqlite3* db, const std::string& sql, const std::string& what) {
  auto stmt = FirstRow(db, sql, what);
  if (!stmt.ok()) return stmt.status();
  const unsigned char* text = sqlite3_column_text(stmt->get(), 0);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

// ---- Statement ----

Statement::~Statement() {
  // reset() repeats the last step's error code; that was already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::Bound(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Statement& Statement::BindText(int index, std::string_view text) {
  Bound(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  Bound(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::BindInt(int index, int64_t value) {
  Bound(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::BindOptInt(int index, std::optional<int64_t> value) {
  Bound(value ? sqlite3_bind_int64(stmt_, index, *value) : sqlite3_bind_null(stmt_, index));
  return *this;
}

Statement& Statement::BindOptText(int index, const std::optional<std::string>& text) {
  if (!text) {
    Bound(sqlite3_bind_null(stmt_, index));
    return *this;
  }
  return BindText(index, *text);
}

Statement& Statement::BindDouble(int index, double value) {
  Bound(sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Result<bool> Statement::Step(const std::string& what) {
  if (bind_rc_ != SQLITE_OK) {
    // The connection's errmsg may since belong to another call; the code doesn't.
    return Status::Error("store: " + what + ": " + sqlite3_errstr(bind_rc_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(db_, what);
}

Status Statement::Run(const std::string& what) {
  for (;;) {
    auto row = Step(what);
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::optional<int64_t> Statement::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::Text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);  // after _text(), as SQLite documents
  if (text == nullptr || size <= 0) return {};
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(size)};
}

std::string Statement::Blob(int col) const {
  const void* bytes = sqlite3_column_blob(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);
  if (bytes == nullptr || size <= 0) return {};
  return {static_cast<const char*>(bytes), static_cast<size_t>(size)};
}

// ---- transactions ----

Result<TxnStatements> PrepareTxnStatements(sqlite3* db) {
  TxnStatements t;
  auto begin = Prepare(db, "BEGIN IMMEDIATE", "prepare BEGIN");
  if (!begin.ok()) return begin.status();
  auto commit = Prepare(db, "COMMIT", "prepare COMMIT");
  if (!commit.ok()) return commit.status();
  auto rollback = Prepare(db, "ROLLBACK", "prepare ROLLBACK");
  if (!rollback.ok()) return rollback.status();
  t.begin = std::move(*begin);
  t.commit = std::move(*commit);
  t.rollback = std::move(*rollback);
  return t;
}

Status Transaction::Begin(const std::string& what) {
  ZSUP_CHECK(!open_);
  Status s = Statement(db_, stmts_.begin.get()).Run(what);
  open_ = s.ok();
  return s;
}

Status Transaction::Commit(const std::string& what) {
  ZSUP_CHECK(open_);
  Status s = Statement(db_, stmts_.commit.get()).Run(what);
  // A failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open; the
  // destructor rolls it back.
  if (s.ok()) open_ = false;
  return s;
}

Transaction::~Transaction() {
  // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) already rolled back; a
  // second ROLLBACK would only fail with "no transaction is active".
  if (open_ && sqlite3_get_autocommit(db_) == 0) {
    (void)Statement(db_, stmts_.rollback.get()).Run("rollback");
  }
}

}  // namespace zsup::sql
