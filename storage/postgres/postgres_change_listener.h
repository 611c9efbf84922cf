#pragma once

#include <memory>

#include "storage/change_listener.h"
#include "storage/database_url.h"

namespace larder::storage {

// A ChangeListener that LISTENs on the channel PostgresDialect()'s change_notify_sql notifies,
// over a dedicated connection of its own (notifications reach only the session that ran LISTEN,
// and only between its transactions, so a pooled connection cannot do it).
//
// Connects (and LISTENs) before returning, so a change committed after this returns is heard.
// Never fails: if the database cannot be reached now, WaitForChange reports UNAVAILABLE and
// keeps retrying with back-off.
std::unique_ptr<ChangeListener> OpenPostgresChangeListener(const DatabaseUrl& url);

}  // namespace larder::storage
