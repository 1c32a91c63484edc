// Online backup of one SQLite database file to another with SQLite's backup
// API: consistent even while the server writes to the source.
#pragma once

#include <filesystem>

#include "base/result.h"

namespace roomchat::store {

Status backupDatabase(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace roomchat::store
