#include "app/blobs.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sodium.h>

#include "blob/s3_blob_store.h"
#include "store/room_store.h"

namespace roomchat::app {

namespace fs = std::filesystem;

namespace {

std::string trimmed(std::string s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

Result<std::string> readSecretFile(const std::string& file) {
  std::ifstream in(file);
  if (!in) return makeError("bad_config", "cannot read " + file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return trimmed(text);
}

// The built-in store's URL signing key: random on first start, then kept, so
// URLs handed out before a restart still work after it.
Result<std::string> signingSecret(const fs::path& dataDir) {
  const fs::path file = dataDir / "blob-signing.key";
  if (fs::exists(file)) {
    auto secret = readSecretFile(file.string());
    if (!secret.ok() || secret->size() >= 32) return secret;
  }
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  const fs::path tmp = fs::path(file) += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << hex << "\n";
    if (!out) return makeError("bad_config", "cannot write " + tmp.string());
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) return makeError("bad_config", "cannot write " + file.string());
  return std::string(hex);
}

Result<blob::S3Config> s3Config(const Config& c) {
  blob::S3Config s3{c.s3Endpoint, c.s3Region, c.s3Bucket, c.s3AccessKey, ""};
  if (const char* env = std::getenv("ROOMCHAT_S3_SECRET_KEY"); env && *env) s3.secretKey = env;
  if (!c.s3SecretKeyFile.empty()) {
    auto secret = readSecretFile(c.s3SecretKeyFile);
    if (!secret.ok()) return secret.error();
    s3.secretKey = *secret;
  }
  if (s3.endpoint.empty() || s3.bucket.empty() || s3.accessKey.empty() || s3.secretKey.empty())
    return makeError("bad_config",
                     "--blob-store s3 needs --s3-endpoint, --s3-bucket, --s3-access-key and a "
                     "secret key (--s3-secret-key-file or ROOMCHAT_S3_SECRET_KEY)");
  if (s3.endpoint.rfind("http://", 0) != 0 && s3.endpoint.rfind("https://", 0) != 0)
    return makeError("bad_config", "--s3-endpoint must start with http:// or https://");
  return s3;
}

}  // namespace

Result<BlobParts> openBlobStore(const Config& config) {
  BlobParts parts;
  if (config.blobStore == "s3") {
    auto s3 = s3Config(config);
    if (!s3.ok()) return s3.error();
    parts.store = std::make_unique<blob::S3BlobStore>(std::move(*s3));
    return parts;
  }
  std::error_code ec;
  fs::create_directories(fs::path(config.dataDir) / "blobs", ec);
  auto secret = signingSecret(config.dataDir);
  if (!secret.ok()) return secret.error();
  auto local = std::make_unique<blob::LocalBlobStore>(fs::path(config.dataDir) / "blobs", *secret);
  parts.local = local.get();
  parts.store = std::move(local);
  return parts;
}

blob::BlobLimits blobLimits(const Config& config) {
  blob::BlobLimits l;
  l.maxBytes = config.maxUploadBytes;
  l.gcGraceMs = int64_t{config.blobGcGraceSeconds} * 1000;
  return l;
}

blob::BlobService::RoomHoldsKey roomHoldsKey(const Config& config) {
  const fs::path roomsDir = fs::path(config.dataDir) / "rooms";
  return [roomsDir](const store::BlobRef& ref) {
    return store::roomFileHoldsImage(store::roomFileOf(roomsDir, ref.roomId), ref.key);
  };
}

}  // namespace roomchat::app
