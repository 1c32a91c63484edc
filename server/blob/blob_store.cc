#include "blob/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include <sodium.h>

#include "base/ids.h"
#include "blob/sigv4.h"

namespace roomchat::blob {

namespace fs = std::filesystem;

namespace {

// The built-in store signs like S3 does, under a scope of its own.
constexpr std::string_view kAccessKey = "roomchat";
constexpr std::string_view kRegion = "local";
constexpr std::string_view kSignedHeaders = "content-length;content-type";
constexpr int kMaxExpiresSeconds = 3600;
constexpr int64_t kClockSkewSeconds = 60;

Error refused(const char* code, std::string message) { return makeError(code, std::move(message)); }

// Writes all of `bytes` to `file` and flushes them to the disk.
Status writeDurably(const fs::path& file, std::string_view bytes) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return makeError("storage_unavailable", "cannot create " + file.string());
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == bytes.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return makeError("storage_unavailable", "cannot write " + file.string());
  return Ok{};
}

void syncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string valueOf(const sigv4::Pairs& query, std::string_view name) {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return "";
}

}  // namespace

bool isImageType(std::string_view t) {
  return t == "image/webp" || t == "image/png" || t == "image/gif" || t == "image/jpeg";
}

std::optional<std::string> sniffImageType(std::string_view b) {
  if (b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return "image/png";
  if (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a") return "image/gif";
  if (b.substr(0, 3) == "\xff\xd8\xff") return "image/jpeg";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return std::nullopt;
}

LocalBlobStore::LocalBlobStore(fs::path root, std::string signingSecret)
    : root_(std::move(root)), secret_(std::move(signingSecret)) {}

fs::path LocalBlobStore::fileOf(const std::string& key) const {
  return root_ / key.substr(0, 2) / key;
}

Result<std::optional<Stat>> LocalBlobStore::stat(const std::string& key) {
  std::ifstream in(fileOf(key), std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(fileOf(key), ec) && !ec) return std::optional<Stat>();
    return makeError("storage_unavailable", "cannot read the blob store");
  }
  char head[12] = {};
  in.read(head, sizeof head);
  std::error_code ec;
  const auto size = fs::file_size(fileOf(key), ec);
  if (ec) return makeError("storage_unavailable", "cannot read the blob store: " + ec.message());
  auto type = sniffImageType(std::string_view(head, static_cast<size_t>(in.gcount())));
  return std::optional<Stat>(Stat{static_cast<int64_t>(size), type.value_or("")});
}

Result<SignedRequest> LocalBlobStore::presignPut(const Upload& upload, int64_t now,
                                                 int ttlSeconds) {
  const std::string date = sigv4::amzDate(now);
  const std::string path = "/blobs/" + upload.key;
  sigv4::Request r{"PUT", path, {}, {{"content-length", std::to_string(upload.size)},
                                     {"content-type", upload.contentType}},
                   "UNSIGNED-PAYLOAD"};
  const std::string query = sigv4::presign({std::string(kAccessKey), secret_},
                                           {date.substr(0, 8), std::string(kRegion), "s3"}, date,
                                           ttlSeconds, std::move(r));
  return SignedRequest{"PUT", path + "?" + query, {{"Content-Type", upload.contentType}}};
}

Result<Upload> LocalBlobStore::checkSignature(std::string_view target,
                                              std::string_view contentLength,
                                              std::string_view contentType, int64_t now) const {
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  constexpr std::string_view prefix = "/blobs/";
  if (q == std::string_view::npos || path.substr(0, prefix.size()) != prefix ||
      !isBlobKey(path.substr(prefix.size())))
    return refused("bad_signature", "not a signed upload URL");
  sigv4::Pairs query = sigv4::parseQuery(target.substr(q + 1));
  const std::string signature = valueOf(query, "X-Amz-Signature");
  const std::string date = valueOf(query, "X-Amz-Date");
  const long long signedAt = sigv4::parseAmzDate(date);
  int expires = 0;
  try {
    expires = std::stoi(valueOf(query, "X-Amz-Expires"));
  } catch (const std::exception&) {
  }
  const sigv4::Scope scope{date.substr(0, 8), std::string(kRegion), "s3"};
  if (signature.size() != 64 || signedAt < 0 || expires <= 0 || expires > kMaxExpiresSeconds ||
      valueOf(query, "X-Amz-Algorithm") != "AWS4-HMAC-SHA256" ||
      valueOf(query, "X-Amz-Credential") != std::string(kAccessKey) + "/" + scope.str() ||
      valueOf(query, "X-Amz-SignedHeaders") != kSignedHeaders)
    return refused("bad_signature", "the upload URL is not signed by this server");
  std::erase_if(query, [](const auto& p) { return p.first == "X-Amz-Signature"; });
  const sigv4::Request r{"PUT", std::string(path), std::move(query),
                         {{"content-length", std::string(contentLength)},
                          {"content-type", std::string(contentType)}},
                         "UNSIGNED-PAYLOAD"};
  const std::string expected =
      sigv4::signature(secret_, scope, sigv4::stringToSign(date, scope, sigv4::canonicalRequest(r, false)));
  if (sodium_memcmp(expected.data(), signature.data(), 64) != 0)
    return refused("bad_signature", "the upload does not match its signed URL");
  if (now > signedAt + expires || now + kClockSkewSeconds < signedAt)
    return refused("url_expired", "the upload URL has expired; ask for a new one");
  int64_t size = 0;
  try {
    size = std::stoll(std::string(contentLength));
  } catch (const std::exception&) {
    return refused("bad_signature", "the upload has no valid Content-Length");
  }
  return Upload{std::string(path.substr(prefix.size())), size, std::string(contentType)};
}

Status LocalBlobStore::put(const Upload& upload, std::string_view bytes) {
  if (static_cast<int64_t>(bytes.size()) > upload.size)
    return refused("too_large", "the body is longer than the signed size");
  if (sigv4::hexSha256(bytes) != upload.key)
    return refused("hash_mismatch", "the bytes do not hash to the key");
  if (sniffImageType(bytes) != upload.contentType)
    return refused("type_mismatch", "the bytes are not a " + upload.contentType + " image");
  std::error_code ec;
  const fs::path tmpDir = root_ / "tmp", target = fileOf(upload.key);
  fs::create_directories(tmpDir, ec);
  fs::create_directories(target.parent_path(), ec);
  const fs::path tmp = tmpDir / (upload.key + "." + randomId());
  if (Status s = writeDurably(tmp, bytes); !s.ok()) {
    fs::remove(tmp, ec);
    return s;
  }
  // rename() replaces atomically: two uploads of the same key leave one
  // file, and a reader sees either no file or the whole one.
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    fs::remove(tmp, ec);
    return makeError("storage_unavailable", "cannot store the image");
  }
  syncDirectory(target.parent_path());
  return Ok{};
}

Status LocalBlobStore::remove(const std::string& key) {
  std::error_code ec;
  fs::remove(fileOf(key), ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return makeError("storage_unavailable", "cannot remove a blob: " + ec.message());
  return Ok{};
}

Result<std::vector<Listed>> LocalBlobStore::list() {
  std::vector<Listed> keys;
  std::error_code ec;
  const auto nowFile = fs::file_time_type::clock::now();
  const auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& shard : fs::directory_iterator(root_, ec)) {
    if (!shard.is_directory() || shard.path().filename().string().size() != 2) continue;
    for (const auto& file : fs::directory_iterator(shard.path(), ec)) {
      std::string name = file.path().filename().string();
      std::error_code timeError;
      auto written = fs::last_write_time(file.path(), timeError);
      if (!isBlobKey(name) || timeError) continue;
      auto age = std::chrono::duration_cast<std::chrono::milliseconds>(nowFile - written).count();
      keys.push_back(Listed{std::move(name), nowMs - age});
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return makeError("storage_unavailable", "cannot list the blob store: " + ec.message());
  return keys;
}

}  // namespace roomchat::blob
