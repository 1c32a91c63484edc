#include "blob/s3_blob_store.h"

#include <chrono>
#include <memory>

#include <strings.h>

#include <curl/curl.h>

#include "blob/sigv4.h"

namespace roomchat::blob {

namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

size_t appendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t appendHeader(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The value of `name` in raw response headers (case-insensitive), or "".
std::string headerValue(const std::string& raw, std::string_view name) {
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find("\r\n", start);
    if (end == std::string::npos) end = raw.size();
    std::string_view line(raw.data() + start, end - start);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
    start = end + 2;
  }
  return "";
}

// Every <tag>value</tag> in `xml`, in order (keys are hex: no escapes).
std::vector<std::string> elements(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  for (size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at)) {
    at += open.size();
    size_t end = xml.find(close, at);
    if (end == std::string_view::npos) break;
    out.emplace_back(xml.substr(at, end - at));
  }
  return out;
}

// "2026-12-04T16:00:00.000Z" → ms since the epoch (0 when malformed).
int64_t isoToMs(const std::string& iso) {
  if (iso.size() < 19) return 0;
  std::string compact = iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + "T" +
                        iso.substr(11, 2) + iso.substr(14, 2) + iso.substr(17, 2) + "Z";
  long long s = sigv4::parseAmzDate(compact);
  return s < 0 ? 0 : s * 1000;
}

}  // namespace

S3BlobStore::S3BlobStore(S3Config config) : config_(std::move(config)) {
  while (!config_.endpoint.empty() && config_.endpoint.back() == '/') config_.endpoint.pop_back();
}

std::string S3BlobStore::host() const {
  const size_t scheme = config_.endpoint.find("://");
  return scheme == std::string::npos ? config_.endpoint : config_.endpoint.substr(scheme + 3);
}

std::string S3BlobStore::objectPath(const std::string& key) const {
  return "/" + sigv4::uriEncode(config_.bucket) + "/" + key;
}

std::string S3BlobStore::browserOrigin() const { return config_.endpoint; }

Result<S3BlobStore::Reply> S3BlobStore::call(const std::string& method, const std::string& path,
                                             const std::string& query) const {
  const int64_t now = nowSeconds();
  const std::string date = sigv4::amzDate(now);
  const sigv4::Scope scope{date.substr(0, 8), config_.region, "s3"};
  sigv4::Request r{method, path, sigv4::parseQuery(query),
                   {{"host", host()}, {"x-amz-content-sha256", std::string(kEmptySha256)},
                    {"x-amz-date", date}},
                   std::string(kEmptySha256)};
  const std::string auth =
      sigv4::authorization({config_.accessKey, config_.secretKey}, scope, date, r);

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return makeError("storage_unavailable", "cannot start an HTTP client");
  curl_slist* headers = nullptr;
  for (const std::string& h : {"Authorization: " + auth, "x-amz-date: " + date,
                               "x-amz-content-sha256: " + std::string(kEmptySha256)})
    headers = curl_slist_append(headers, h.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headerList(headers,
                                                                          curl_slist_free_all);
  const std::string url = config_.endpoint + path + (query.empty() ? "" : "?" + query);
  Reply reply;
  std::string rawHeaders;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeoutMs));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, appendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, appendHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &rawHeaders);
  if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else if (method != "GET") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (CURLcode rc = curl_easy_perform(c); rc != CURLE_OK)
    return makeError("storage_unavailable",
                     std::string("the object store did not answer: ") + curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.contentType = headerValue(rawHeaders, "Content-Type");
  try {
    reply.contentLength = std::stoll(headerValue(rawHeaders, "Content-Length"));
  } catch (const std::exception&) {
  }
  return reply;
}

Result<std::optional<Stat>> S3BlobStore::stat(const std::string& key) {
  auto reply = call("HEAD", objectPath(key), "");
  if (!reply.ok()) return reply.error();
  if (reply->status == 404) return std::optional<Stat>();
  if (reply->status != 200)
    return makeError("storage_unavailable",
                     "the object store answered HEAD with " + std::to_string(reply->status));
  return std::optional<Stat>(Stat{reply->contentLength, reply->contentType});
}

Result<SignedRequest> S3BlobStore::presignPut(const Upload& upload, int64_t now, int ttlSeconds) {
  const std::string date = sigv4::amzDate(now);
  const std::string path = objectPath(upload.key);
  // The payload hash is the key: a store that checks x-amz-content-sha256
  // refuses bytes that do not hash to it.
  sigv4::Request r{"PUT", path, {},
                   {{"host", host()}, {"content-length", std::to_string(upload.size)},
                    {"content-type", upload.contentType}, {"x-amz-content-sha256", upload.key}},
                   upload.key};
  const std::string query = sigv4::presign({config_.accessKey, config_.secretKey},
                                           {date.substr(0, 8), config_.region, "s3"}, date,
                                           ttlSeconds, std::move(r));
  return SignedRequest{"PUT", config_.endpoint + path + "?" + query,
                       {{"Content-Type", upload.contentType},
                        {"x-amz-content-sha256", upload.key}}};
}

std::string S3BlobStore::presignGet(const std::string& key, int64_t now, int ttlSeconds) const {
  const std::string date = sigv4::amzDate(now);
  const std::string path = objectPath(key);
  sigv4::Request r{"GET", path, {}, {{"host", host()}}, "UNSIGNED-PAYLOAD"};
  return config_.endpoint + path + "?" +
         sigv4::presign({config_.accessKey, config_.secretKey},
                        {date.substr(0, 8), config_.region, "s3"}, date, ttlSeconds, std::move(r));
}

Status S3BlobStore::remove(const std::string& key) {
  auto reply = call("DELETE", objectPath(key), "");
  if (!reply.ok()) return reply.error();
  if (reply->status != 204 && reply->status != 200 && reply->status != 404)
    return makeError("storage_unavailable",
                     "the object store answered DELETE with " + std::to_string(reply->status));
  return Ok{};
}

Result<std::vector<Listed>> S3BlobStore::list() {
  std::vector<Listed> out;
  std::string token;
  do {
    std::string query = "list-type=2&max-keys=1000";
    if (!token.empty()) query += "&continuation-token=" + sigv4::uriEncode(token);
    auto reply = call("GET", "/" + sigv4::uriEncode(config_.bucket), query);
    if (!reply.ok()) return reply.error();
    if (reply->status != 200)
      return makeError("storage_unavailable",
                       "the object store answered a listing with " + std::to_string(reply->status));
    const auto keys = elements(reply->body, "Key");
    const auto times = elements(reply->body, "LastModified");
    for (size_t i = 0; i < keys.size(); ++i)
      if (isBlobKey(keys[i])) out.push_back({keys[i], i < times.size() ? isoToMs(times[i]) : 0});
    auto next = elements(reply->body, "NextContinuationToken");
    token = next.empty() ? "" : next.front();
  } while (!token.empty());
  return out;
}

}  // namespace roomchat::blob
