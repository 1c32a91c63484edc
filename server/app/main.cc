// roomchat: the chat server and its admin commands.
//   roomchat serve --listen 127.0.0.1:8080 --data ./data --web ./web/dist
//   roomchat user create --username ann --display-name Ann   (password on stdin)
//   roomchat room list
//   roomchat backup <dir>
//   roomchat blobs gc [--dry-run]
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "app/admin.h"
#include "app/config.h"
#include "app/server.h"

using roomchat::app::Config;

namespace {

// Shared by serve and `blobs gc`: where images live and how long an
// unreferenced one is kept.
void addBlobOptions(CLI::App& cmd, Config& c) {
  cmd.add_option("--s3-endpoint", c.s3Endpoint, "S3 endpoint, e.g. http://127.0.0.1:7480")
      ->envname("ROOMCHAT_S3_ENDPOINT");
  cmd.add_option("--s3-region", c.s3Region)->envname("ROOMCHAT_S3_REGION");
  cmd.add_option("--s3-bucket", c.s3Bucket)->envname("ROOMCHAT_S3_BUCKET");
  cmd.add_option("--s3-access-key", c.s3AccessKey)->envname("ROOMCHAT_S3_ACCESS_KEY");
  cmd.add_option("--s3-secret-key-file", c.s3SecretKeyFile,
                 "file holding the S3 secret key (or set ROOMCHAT_S3_SECRET_KEY)")
      ->envname("ROOMCHAT_S3_SECRET_KEY_FILE");
  cmd.add_option("--blob-gc-grace-seconds", c.blobGcGraceSeconds,
                 "keep an unreferenced image this long")
      ->check(CLI::Range(0, 365 * 24 * 3600));
}

void addServeOptions(CLI::App& serve, Config& c) {
  addBlobOptions(serve, c);
  serve.add_option("--listen", c.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->envname("ROOMCHAT_LISTEN");
  serve.add_option("--public-origin", c.publicOrigin, "public origin, e.g. https://chat.example")
      ->envname("ROOMCHAT_PUBLIC_ORIGIN");
  serve.add_option("--allowed-origin", c.allowedOrigins, "extra allowed Origin (repeatable)");
  serve.add_option("--web", c.webDir, "folder of the built web client")->envname("ROOMCHAT_WEB");
  serve.add_option("--ready-file", c.readyFile, "file to write the bound port to once listening");
  serve.add_option("--metrics-token-file", c.metricsTokenFile,
                   "file holding the bearer token /metrics requires (none: /metrics is off)")
      ->envname("ROOMCHAT_METRICS_TOKEN_FILE");
  serve.add_option("--io-threads", c.ioThreads, "network threads (0: one per core)");
  serve.add_option("--work-threads", c.workThreads, "threads for blocking work");
  serve.add_flag("--synchronous-full", c.synchronousFull, "fsync every commit (power-loss safe)");
  serve.add_option("--room-idle-seconds", c.roomIdleSeconds, "hibernate empty rooms after this");
  serve.add_option("--password-cost", c.passwordCost, "interactive | min (tests only)")
      ->check(CLI::IsMember({"interactive", "min"}));
  serve.add_option("--session-days", c.sessionDays);
  serve.add_option("--oidc-config", c.oidcConfigFile,
                   "JSON file of OpenID Connect providers (secrets from files or env, see "
                   "docs/operations.md)")
      ->envname("ROOMCHAT_OIDC_CONFIG");
  serve.add_option("--login-per-minute", c.loginPerMinute);
  serve.add_option("--login-burst", c.loginBurst);
  serve.add_option("--signup-per-minute", c.signupPerMinute);
  serve.add_option("--signup-burst", c.signupBurst);
  serve.add_option("--max-rooms-per-owner", c.maxRoomsPerOwner);
  serve.add_option("--max-connections-per-user", c.maxConnectionsPerUser);
  serve.add_option("--connect-per-minute", c.connectPerMinute,
                   "room socket upgrades per user per minute")
      ->check(CLI::PositiveNumber);
  serve.add_option("--connect-burst", c.connectBurst)->check(CLI::Range(1.0, 1e9));
  serve.add_option("--message-rate", c.messageRate, "messages per second per connection");
  serve.add_option("--message-burst", c.messageBurst);
  serve.add_option("--max-frame-bytes", c.maxFrameBytes);
  serve.add_option("--outbound-queue-frames", c.outboundQueueFrames);
  serve.add_option("--max-text-chars", c.maxTextChars);
  serve.add_option("--call-grace-seconds", c.callGraceSeconds);
  serve.add_option("--blob-store", c.blobStore, "local (files under <data>/blobs) | s3")
      ->check(CLI::IsMember({"local", "s3"}))
      ->envname("ROOMCHAT_BLOB_STORE");
  serve.add_option("--max-upload-bytes", c.maxUploadBytes)->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  serve.add_option("--blob-gc-interval-seconds", c.blobGcIntervalSeconds,
                   "how often unreferenced images are collected (0: never)");
  serve.add_option("--request-timeout-seconds", c.requestTimeoutSeconds,
                   "slow headers and bodies are cut after this")
      ->check(CLI::Range(1, 3600));
  serve.add_flag("--preview-allow-loopback", c.previewAllowLoopback,
                 "TEST ONLY: let link previews fetch from 127.0.0.1 / ::1");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"roomchat: a chat server where every room is its own small server"};
  app.require_subcommand(1);
  Config config;
  app.add_option("--data", config.dataDir, "data folder")->envname("ROOMCHAT_DATA");
  app.set_config("--config", "", "configuration file (INI/TOML)");

  auto* serve = app.add_subcommand("serve", "run the server");
  addServeOptions(*serve, config);
  serve->add_option("--data", config.dataDir, "data folder")->envname("ROOMCHAT_DATA");

  roomchat::app::AdminArgs admin;
  auto* user = app.add_subcommand("user", "manage users")->require_subcommand(1);
  auto* userCreate = user->add_subcommand("create", "create a user (password read from stdin)");
  userCreate->add_option("--username", admin.username)->required();
  userCreate->add_option("--display-name", admin.displayName);
  auto* room = app.add_subcommand("room", "inspect rooms")->require_subcommand(1);
  auto* roomList = room->add_subcommand("list", "list public rooms, most recently active first");
  auto* backup = app.add_subcommand("backup", "online backup of every database into a folder");
  backup->add_option("dir", admin.backupDir)->required();

  auto* blobs = app.add_subcommand("blobs", "manage stored images")->require_subcommand(1);
  auto* blobsGc = blobs->add_subcommand("gc", "remove images nothing references any more");
  blobsGc->add_flag("--dry-run", admin.dryRun, "list what would be removed, remove nothing");
  blobsGc->add_option("--blob-store", config.blobStore)->check(CLI::IsMember({"local", "s3"}));
  addBlobOptions(*blobsGc, config);

  CLI11_PARSE(app, argc, argv);
  if (serve->parsed()) return roomchat::app::runServer(config);
  if (userCreate->parsed()) return roomchat::app::createUser(config, admin);
  if (roomList->parsed()) return roomchat::app::listRooms(config);
  if (backup->parsed()) return roomchat::app::backup(config, admin);
  if (blobsGc->parsed()) return roomchat::app::collectBlobs(config, admin);
  return 2;
}
