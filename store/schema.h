// The store's schema and its migrations, versioned by PRAGMA user_version
// (internal to store/).
//
// Version 0 is an empty database. Each migration takes the schema from
// version N - 1 to N in its own transaction, together with the bump of
// user_version, so a crash leaves the database at one version or the next.
#pragma once

#include <sqlite3.h>

#include <string>

#include "broker/status.h"

namespace zsup::store_schema {

// The newest schema version this code knows.
int LatestVersion();

// Refuses a database whose schema is newer than LatestVersion(), without
// writing to it. `path` only names the database in the message.
Status CheckVersion(sqlite3* db, const std::string& path);

// Brings the schema up to LatestVersion(), one migration per transaction.
// Refuses newer databases as CheckVersion() does.
Status Migrate(sqlite3* db, const std::string& path);

}  // namespace zsup::store_schema
