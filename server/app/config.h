// Server configuration: defaults, then a config file (INI/TOML, `--config`),
// then ROOMCHAT_* environment variables, then command-line flags, each later
// source overriding the earlier. Every field has a safe default; `roomchat
// serve --listen HOST:PORT --data DIR [--web DIR]` needs nothing else.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace roomchat::app {

struct Config {
  // Network.
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  std::string publicOrigin;               // default: http://<listen>
  std::vector<std::string> allowedOrigins;
  std::string webDir;                     // built web client; empty: API only
  std::string readyFile;                  // written with the bound port once listening
  std::string metricsTokenFile;           // /metrics needs "Authorization: Bearer <its token>";
                                          // empty: /metrics is not served
  int ioThreads = 0;                      // 0: one per core
  int workThreads = 4;                    // blocking work: databases, password hashing

  // Storage.
  std::string dataDir = "data";           // meta.db, rooms/<shard>/<id>.db, blobs/
  bool synchronousFull = false;           // SQLite synchronous=FULL (power-loss safe)
  int roomIdleSeconds = 30;               // an empty room hibernates after this

  // Images (API.md §4). The built-in store keeps them under <data>/blobs/;
  // "s3" hands out presigned URLs of any S3-compatible store instead.
  std::string blobStore = "local";        // local | s3
  std::string s3Endpoint;                 // http(s)://host[:port], path-style addressing
  std::string s3Region = "us-east-1";
  std::string s3Bucket;
  std::string s3AccessKey;
  std::string s3SecretKeyFile;            // or ROOMCHAT_S3_SECRET_KEY; never on the command line
  int64_t maxUploadBytes = 10 * 1024 * 1024;
  int blobGcGraceSeconds = 24 * 3600;     // an unreferenced image is kept this long
  int blobGcIntervalSeconds = 3600;       // 0: no periodic collection (roomchat blobs gc)

  // Accounts.
  std::string passwordCost = "interactive";  // or "min" (tests, benchmarks only)
  int sessionDays = 30;
  double loginPerMinute = 10;             // per username; per IP it is 5x
  double loginBurst = 10;
  double signupPerMinute = 30;            // per IP
  double signupBurst = 30;
  std::string oidcConfigFile;             // JSON list of OpenID Connect providers (auth/oidc.h);
                                          // empty: password sign-in only

  // Limits enforced by the server.
  int maxRoomsPerOwner = 50;
  int maxConnectionsPerUser = 20;
  double connectPerMinute = 60;           // room socket upgrades per user
  double connectBurst = 30;
  double messageRate = 10;                // per connection, per second
  double messageBurst = 30;
  size_t maxFrameBytes = 64 * 1024;
  size_t outboundQueueFrames = 1024;      // a reader this far behind is closed (1008)
  size_t maxTextChars = 4000;
  int callGraceSeconds = 10;
  int requestTimeoutSeconds = 15;         // a whole HTTP request (headers and body) within this

  // Link previews. TEST ONLY: lets the preview fetcher reach loopback
  // (127/8, ::1) so that integration tests can serve pages from 127.0.0.1.
  // Every other non-public address stays refused. Never set it in production:
  // it opens the server's own ports to anyone who can post a link.
  bool previewAllowLoopback = false;
};

}  // namespace roomchat::app
