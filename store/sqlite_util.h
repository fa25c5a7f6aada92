// Thin owners and helpers around the SQLite C API (internal to store/).
//
// Every handle is owned by a unique_ptr whose deleter releases it, so no
// error path leaks. Errors become Status values in one place, as
// "store: <what>: <sqlite3_errmsg>". Nothing here throws.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/status.h"

namespace zsup::sql {

struct DbCloser {
  // close_v2 defers the close until every statement is finalized, so member
  // destruction order can never make it fail with SQLITE_BUSY.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// "store: <what>: <sqlite3_errmsg(db)>".
Status Error(sqlite3* db, const std::string& what);

// Prepares one statement to be kept for the connection's lifetime. Do not
// cache PRAGMAs that set something: SQLite applies most of them while
// preparing, not while stepping, so re-running a cached one does nothing.
Result<StmtPtr> Prepare(sqlite3* db, std::string_view sql, const std::string& what);

// Runs SQL that returns no rows we need (may hold several statements).
Status Exec(sqlite3* db, const std::string& sql, const std::string& what);

// Runs a one-row, one-column query (e.g. "PRAGMA user_version").
Result<int64_t> QueryInt(sqlite3* db, const std::string& sql, const std::string& what);
Result<std::string> QueryText(sqlite3* db, const std::string& sql, const std::string& what);

// One use of a (usually cached) statement. The destructor resets it and
// clears its bindings, so a finished or abandoned query never keeps a read
// snapshot open (that would stall WAL checkpoints) and a statement always
// starts clean. Bind failures are remembered and reported by the next Step.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Indexes are 1-based, as in SQL's ?1. Values are copied (SQLITE_TRANSIENT),
  // so temporaries may be bound.
  Statement& BindText(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindInt(int index, int64_t value);
  Statement& BindOptInt(int index, std::optional<int64_t> value);  // nullopt binds NULL
  Statement& BindOptText(int index, const std::optional<std::string>& text);  // nullopt: NULL
  Statement& BindDouble(int index, double value);

  // True when a row is ready, false when the statement is done.
  Result<bool> Step(const std::string& what);
  // Steps to completion, ignoring rows.
  Status Run(const std::string& what);

  // Columns of the current row, 0-based.
  bool IsNull(int col) const;
  int64_t Int(int col) const;
  std::optional<int64_t> OptInt(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;

 private:
  void Bound(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

// BEGIN IMMEDIATE / COMMIT / ROLLBACK, prepared once per connection.
struct TxnStatements {
  StmtPtr begin;
  StmtPtr commit;
  StmtPtr rollback;
};
Result<TxnStatements> PrepareTxnStatements(sqlite3* db);

// One write transaction. Begin() takes the write lock up front (IMMEDIATE),
// so contention shows up there (after busy_timeout) rather than half way
// through. The destructor rolls back unless Commit() succeeded.
class Transaction {
 public:
  Transaction(sqlite3* db, const TxnStatements& stmts) : db_(db), stmts_(stmts) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin(const std::string& what);
  Status Commit(const std::string& what);

 private:
  sqlite3* db_;
  const TxnStatements& stmts_;
  bool open_ = false;
};

}  // namespace zsup::sql
