#include "app/admin.h"

#include <filesystem>
#include <iostream>

#include "app/blobs.h"
#include "auth/password.h"
#include "base/ids.h"
#include "store/meta_store.h"
#include "store/backup.h"

namespace roomchat::app {

namespace fs = std::filesystem;

namespace {

Result<std::unique_ptr<store::MetaStore>> openMeta(const Config& config) {
  return store::openSqliteMetaStore((fs::path(config.dataDir) / "meta.db").string());
}

}  // namespace

int createUser(const Config& config, const AdminArgs& args) {
  auto meta = openMeta(config);
  if (!meta.ok()) return std::cerr << meta.error().message << "\n", 1;
  std::string password;
  std::getline(std::cin, password);
  if (password.size() < 8) return std::cerr << "password: at least 8 characters\n", 1;
  model::User user{randomId(), args.username,
                   args.displayName.empty() ? args.username : args.displayName, std::nullopt};
  auto created = (*meta)->createUser(user, auth::hashPassword(password, auth::PasswordCost{}));
  if (!created.ok()) return std::cerr << created.error().message << "\n", 1;
  std::cout << created->id << "\n";
  return 0;
}

int listRooms(const Config& config) {
  auto meta = openMeta(config);
  if (!meta.ok()) return std::cerr << meta.error().message << "\n", 1;
  std::optional<model::Keyset> after;
  while (true) {
    auto page = (*meta)->publicRooms(after, 100);
    if (!page.ok()) return std::cerr << page.error().message << "\n", 1;
    for (const auto& r : page->rooms)
      std::cout << r.id << "\t" << r.lastActiveAt << "\t" << r.name << "\n";
    if (!page->hasMore || page->keys.empty()) break;
    after = page->keys.back();
  }
  return 0;
}

int backup(const Config& config, const AdminArgs& args) {
  auto meta = openMeta(config);
  if (!meta.ok()) return std::cerr << meta.error().message << "\n", 1;
  fs::create_directories(fs::path(args.backupDir) / "rooms");
  if (Status s = (*meta)->backupTo((fs::path(args.backupDir) / "meta.db").string()); !s.ok())
    return std::cerr << s.error().message << "\n", 1;
  int rooms = 0;
  const fs::path roomsDir = fs::path(config.dataDir) / "rooms";
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(roomsDir, ec)) {
    if (entry.path().extension() != ".db") continue;
    fs::path target = fs::path(args.backupDir) / "rooms" / fs::relative(entry.path(), roomsDir);
    fs::create_directories(target.parent_path());
    if (Status s = store::backupDatabase(entry.path(), target); !s.ok())
      return std::cerr << entry.path() << ": " << s.error().message << "\n", 1;
    ++rooms;
  }
  std::cout << "backed up meta.db and " << rooms << " rooms to " << args.backupDir << "\n";
  return 0;
}

int collectBlobs(const Config& config, const AdminArgs& args) {
  auto meta = openMeta(config);
  if (!meta.ok()) return std::cerr << meta.error().message << "\n", 1;
  auto blobs = openBlobStore(config);
  if (!blobs.ok()) return std::cerr << blobs.error().message << "\n", 1;
  blob::BlobService service(**meta, *blobs->store, blobs->local, blobLimits(config));
  auto report = service.collect(nowMs(), args.dryRun, roomHoldsKey(config));
  if (!report.ok()) return std::cerr << report.error().message << "\n", 1;
  for (const auto& key : report->removedKeys) std::cout << key << "\n";
  std::cerr << (args.dryRun ? "would remove " : "removed ") << report->removedKeys.size()
            << " images (" << report->refsDropped << " stale room references dropped)\n";
  return 0;
}

}  // namespace roomchat::app
