// Admin commands that work on the data folder directly (the server may be
// running: SQLite's locking and the online backup API make that safe).
#pragma once

#include <string>

#include "app/config.h"

namespace roomchat::app {

struct AdminArgs {
  std::string username;
  std::string displayName;
  std::string backupDir;
  bool dryRun = false;
};

int createUser(const Config& config, const AdminArgs& args);
int listRooms(const Config& config);
int backup(const Config& config, const AdminArgs& args);
// One garbage collection pass over the images (docs/operations.md).
int collectBlobs(const Config& config, const AdminArgs& args);

}  // namespace roomchat::app
