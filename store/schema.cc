#include "store/schema.h"

#include <iterator>

#include "store/sqlite_util.h"

namespace zsup::store_schema {
namespace {

// nodes: the desired state, one row per node; `config` is the canonical
// msgpack of its NodeConfig. exits: a bounded history per node, newest = the
// highest id (AUTOINCREMENT never reuses ids, so id order is record order
// even after trimming); the (node, id) index serves both the newest-first
// listing and the trimming.
Status CreateVersion1(sqlite3* db, const std::string& what) {
  return sql::Exec(db,
                   "CREATE TABLE nodes ("
                   "  name TEXT PRIMARY KEY,"
                   "  config BLOB NOT NULL,"
                   "  restarts INTEGER NOT NULL DEFAULT 0,"
                   "  created_at REAL NOT NULL);"
                   "CREATE TABLE exits ("
                   "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
                   "  node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,"
                   "  at REAL,"
                   "  code INTEGER NULL,"
                   "  signal INTEGER NULL,"
                   "  commanded INTEGER NOT NULL);"
                   "CREATE INDEX exits_by_node ON exits(node, id);",
                   what);
}

// Version 2: whether each node is desired up (1) or down (0: `stop`).
Status AddDesired(sqlite3* db, const std::string& what) {
  return sql::Exec(db, "ALTER TABLE nodes ADD COLUMN desired INTEGER NOT NULL DEFAULT 1;", what);
}

// Version 3: a node given up on (v2 `failed`, or `exited` by its restart
// policy) stays so across restarts; NULL while it is not held.
Status AddHold(sqlite3* db, const std::string& what) {
  return sql::Exec(db,
                   "ALTER TABLE nodes ADD COLUMN hold TEXT NULL;"
                   "ALTER TABLE nodes ADD COLUMN failed_reason TEXT NULL;",
                   what);
}

using Migration = Status (*)(sqlite3* db, const std::string& what);

// kMigrations[i] takes the schema from version i to i + 1. Append only: a
// shipped migration is never edited, since databases out there already ran it.
constexpr Migration kMigrations[] = {
    &CreateVersion1,
    &AddDesired,
    &AddHold,
};
constexpr int kLatest = static_cast<int>(std::size(kMigrations));

Result<int> ReadVersion(sqlite3* db, const std::string& path) {
  auto version = sql::QueryInt(db, "PRAGMA user_version", "read schema version of " + path);
  if (!version.ok()) return version.status();
  if (*version > kLatest) {
    return Status::Error("store: " + path + " has schema version " + std::to_string(*version) +
                         ", newer than this zsupd understands (" + std::to_string(kLatest) +
                         "); upgrade zsupd");
  }
  if (*version < 0) {
    return Status::Error("store: " + path + " has an invalid schema version " +
                         std::to_string(*version));
  }
  return static_cast<int>(*version);
}

}  // namespace

int LatestVersion() { return kLatest; }

Status CheckVersion(sqlite3* db, const std::string& path) { return ReadVersion(db, path).status(); }

Status Migrate(sqlite3* db, const std::string& path) {
  auto txn_stmts = sql::PrepareTxnStatements(db);
  if (!txn_stmts.ok()) return txn_stmts.status();
  for (;;) {
    const std::string what = "migrate " + path;
    sql::Transaction txn(db, *txn_stmts);
    Status s = txn.Begin(what);
    if (!s.ok()) return s;
    // Read inside the write transaction: what we migrate from cannot change
    // under us.
    auto version = ReadVersion(db, path);
    if (!version.ok()) return version.status();
    if (*version == kLatest) return Status::Ok();  // nothing written; rolled back
    const int next = *version + 1;
    const std::string step = what + " to schema version " + std::to_string(next);
    s = kMigrations[*version](db, step);
    // PRAGMAs take no parameters; `next` is an integer we made.
    if (s.ok()) s = sql::Exec(db, "PRAGMA user_version = " + std::to_string(next), step);
    if (s.ok()) s = txn.Commit(step);
    if (!s.ok()) return s;
  }
}

}  // namespace zsup::store_schema
