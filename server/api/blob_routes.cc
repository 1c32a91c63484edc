// API.md §4: upload tickets, the built-in store's PUT and GET /blobs/<key>,
// and the sticker library.
#include "api/blob_routes.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "base/ids.h"
#include "base/metrics.h"
#include "proto/cursor.h"

namespace roomchat::api {

namespace http = net::http;
using http::verb;

namespace {

constexpr int kMaxReferencingRooms = 50;
constexpr int kReadUrlSeconds = 300;

int64_t nowSeconds() { return nowMs() / 1000; }

std::string_view pathOf(std::string_view target) { return target.substr(0, target.find('?')); }

// "/blobs/<key>" → "<key>", or "" when the path is anything else.
std::string keyOf(std::string_view target) {
  constexpr std::string_view prefix = "/blobs/";
  std::string_view path = pathOf(target);
  if (path.substr(0, prefix.size()) != prefix) return "";
  std::string key(path.substr(prefix.size()));
  return isBlobKey(key) ? key : "";
}

Result<blob::Upload> uploadOf(const Json& file) {
  if (!file.is_object()) return makeError("invalid_files", "each file is an object");
  blob::Upload u;
  auto sha = file.find("sha256");
  auto size = file.find("size");
  auto type = file.find("contentType");
  if (sha == file.end() || !sha->is_string() || size == file.end() ||
      !size->is_number_integer() || type == file.end() || !type->is_string())
    return makeError("invalid_files", "each file needs sha256, size and contentType");
  u.key = sha->get<std::string>();
  u.size = size->get<int64_t>();
  u.contentType = type->get<std::string>();
  return u;
}

net::Response prepareUploads(Services& s, Call& c) {
  auto body = parseJsonBody(c.request.body());
  if (!body.ok()) return errorResponse(body.error());
  auto files = body->find("files");
  if (files == body->end() || !files->is_array())
    return errorResponse("invalid_files", "files must be an array");
  std::vector<blob::Upload> uploads;
  for (const auto& f : *files) {
    auto u = uploadOf(f);
    if (!u.ok()) return errorResponse(u.error());
    uploads.push_back(std::move(*u));
  }
  auto tickets = s.blobs.prepare(uploads, nowMs());
  if (!tickets.ok()) return errorResponse(tickets.error());
  Json items = Json::array();
  for (size_t i = 0; i < uploads.size(); ++i) {
    const auto& t = (*tickets)[i];
    Json headers = Json::object();
    if (t)
      for (const auto& [name, value] : t->headers) headers[name] = value;
    items.push_back({{"key", uploads[i].key},
                     {"url", t ? Json(t->url) : Json(nullptr)},
                     {"method", "PUT"},
                     {"headers", headers}});
  }
  return jsonResponse(http::status::ok, Json{{"items", items}});
}

Json stickerJson(const store::Sticker& st) {
  return {{"id", st.id}, {"key", st.key}, {"createdAt", st.createdAt}};
}

net::Response listStickers(Services& s, Call& c) {
  auto params = keysetListParams(c.query, 25);
  if (!params.ok()) return errorResponse(params.error());
  auto page = s.meta.stickers(c.session->user.id, params->after, params->limit);
  if (!page.ok()) return errorResponse(page.error());
  Json items = Json::array();
  for (const auto& st : page->stickers) items.push_back(stickerJson(st));
  Json next = page->hasMore && !page->stickers.empty()
                  ? Json(proto::encodeCursor({page->stickers.back().createdAt,
                                              page->stickers.back().id}))
                  : Json(nullptr);
  return jsonResponse(http::status::ok, Json{{"items", items}, {"nextCursor", next}});
}

net::Response addSticker(Services& s, Call& c) {
  auto body = parseJsonBody(c.request.body());
  if (!body.ok()) return errorResponse(body.error());
  auto key = stringField(*body, "key");
  if (!key.ok()) return errorResponse(key.error());
  if (!*key || !isBlobKey(**key))
    return errorResponse("invalid_key", "key must be a blob key (64 lowercase hex)");
  auto sticker = s.meta.addSticker(c.session->user.id, **key, nowMs());
  if (!sticker.ok()) return errorResponse(sticker.error());
  return jsonResponse(http::status::ok, Json{{"sticker", stickerJson(*sticker)}});
}

net::Response deleteSticker(Services& s, Call& c) {
  if (!isValidId(c.params[0])) return errorResponse("not_found", "no such sticker");
  auto deleted = s.meta.deleteSticker(c.session->user.id, c.params[0]);
  if (!deleted.ok()) return errorResponse(deleted.error());
  if (!*deleted) return errorResponse("not_found", "no such sticker");
  return noContent();
}

// A key is readable by a signed-in user when it is an avatar, one of their
// stickers, or in a message of a room they may see. Anything else is a 404,
// also for keys that exist: keys are content hashes, so anyone holding the
// same file can compute one.
Result<bool> readableBy(Services& s, const std::string& key, const std::string& userId) {
  auto held = s.meta.blobHeldByUser(key, userId);
  if (!held.ok() || *held) return held;
  auto rooms = s.meta.roomsReferencing(key, kMaxReferencingRooms);
  if (!rooms.ok()) return rooms.error();
  for (const auto& roomId : *rooms) {
    auto room = s.meta.roomById(roomId);
    if (!room.ok()) return room.error();
    if (!*room) continue;
    auto view = accessTo(s, **room, userId);
    if (view.ok()) return true;
    if (view.error().code != "forbidden") return view.error();
  }
  return false;
}

void setBlobHeaders(net::Response& res, const std::string& key, const std::string& type) {
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "private, max-age=31536000, immutable");
  res.set(http::field::etag, "\"" + key + "\"");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", "default-src 'none'");
  res.set(http::field::accept_ranges, "bytes");
}

// "bytes=a-b", "bytes=a-", "bytes=-n" within `size`: [first, last], or
// nullopt when unsatisfiable or not a single range (then the whole body).
std::optional<std::pair<int64_t, int64_t>> rangeOf(std::string_view header, int64_t size) {
  constexpr std::string_view unit = "bytes=";
  if (header.substr(0, unit.size()) != unit || header.find(',') != std::string_view::npos)
    return std::nullopt;
  std::string_view spec = header.substr(unit.size());
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  try {
    std::string a(spec.substr(0, dash)), b(spec.substr(dash + 1));
    if (a.empty()) {
      int64_t n = std::stoll(b);
      if (n <= 0) return std::nullopt;
      return std::pair(std::max<int64_t>(0, size - n), size - 1);
    }
    int64_t first = std::stoll(a), last = b.empty() ? size - 1 : std::stoll(b);
    if (first > last || first >= size) return std::nullopt;
    return std::pair(first, std::min(last, size - 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The bytes of an image, or the part a single Range asks for.
net::Response bytesResponse(const std::string& key, const blob::ReadCache::Entry& image,
                            const net::Request& request) {
  net::Response res{http::status::ok, 11};
  setBlobHeaders(res, key, image.contentType);
  if (request[http::field::if_none_match] == "\"" + key + "\"") {
    res.result(http::status::not_modified);
    return res;
  }
  const std::string& bytes = *image.bytes;
  const int64_t size = static_cast<int64_t>(bytes.size());
  auto range = request.find(http::field::range);
  if (range == request.end()) {
    res.body() = bytes;
    return res;
  }
  auto r = rangeOf(range->value(), size);
  if (!r) {
    res.result(http::status::range_not_satisfiable);
    res.set(http::field::content_range, "bytes */" + std::to_string(size));
    return res;
  }
  res.result(http::status::partial_content);
  res.set(http::field::content_range, "bytes " + std::to_string(r->first) + "-" +
                                          std::to_string(r->second) + "/" + std::to_string(size));
  res.body() = bytes.substr(static_cast<size_t>(r->first),
                            static_cast<size_t>(r->second - r->first + 1));
  return res;
}

Result<std::shared_ptr<const std::string>> readFile(const std::filesystem::path& file) {
  std::error_code ec;
  const auto fileSize = std::filesystem::file_size(file, ec);
  auto bytes = std::make_shared<std::string>(ec ? 0 : fileSize, '\0');
  std::ifstream in(file, std::ios::binary);
  if (ec || !in.read(bytes->data(), static_cast<std::streamsize>(bytes->size())))
    return makeError("storage_unavailable", "the image cannot be read");
  return std::shared_ptr<const std::string>(std::move(bytes));
}

}  // namespace

net::Response serveBlob(Services& s, const net::Request& request) {
  const std::string key = keyOf(request.target());
  if (key.empty()) return errorResponse("not_found", "no such image");
  auto session = sessionOf(s, request);
  if (!session.ok()) return errorResponse(session.error());
  if (!*session) return errorResponse("unauthenticated", "sign in to see images");
  auto record = s.meta.blob(key);
  if (!record.ok()) return errorResponse(record.error());
  if (!*record) return errorResponse("not_found", "no such image");
  auto readable = readableBy(s, key, (*session)->user.id);
  if (!readable.ok()) return errorResponse(readable.error());
  if (!*readable) return errorResponse("not_found", "no such image");
  if (auto* local = s.blobs.local()) {
    auto bytes = readFile(local->fileOf(key));
    if (!bytes.ok()) return errorResponse(bytes.error());
    blob::ReadCache::Entry image{std::move(*bytes), (*record)->contentType};
    s.blobs.readCache().remember((*session)->tokenHash, key, image, nowMs());
    return bytesResponse(key, image, request);
  }
  // Objects in S3 stay private: the browser follows a short-lived signed GET.
  auto* s3 = dynamic_cast<blob::S3BlobStore*>(&s.blobs.store());
  if (!s3) return errorResponse("not_found", "no such image");
  net::Response res{http::status::found, 11};
  res.set(http::field::location, s3->presignGet(key, nowSeconds(), kReadUrlSeconds));
  res.set(http::field::cache_control, "private, max-age=240");
  return res;
}

std::optional<net::Response> cachedBlob(Services& s, const net::Request& request) {
  if (!s.blobs.local() || request.method() != http::verb::get) return std::nullopt;
  const std::string key = keyOf(request.target());
  auto tokenHash = sessionTokenHash(request);
  if (key.empty() || !tokenHash) return std::nullopt;
  auto image = s.blobs.readCache().lookup(*tokenHash, key, nowMs());
  if (!image) return std::nullopt;
  return bytesResponse(key, *image, request);
}

std::optional<Error> screenUpload(Services& s, const net::RequestHeader& header) {
  auto* local = s.blobs.local();
  if (!local) return makeError("not_found", "uploads go to the object store");
  auto upload = local->checkSignature(header.target(), header[http::field::content_length],
                                      header[http::field::content_type], nowSeconds());
  if (upload.ok()) return std::nullopt;
  const bool expired = upload.error().code == "url_expired";
  metrics().uploadsRefused[static_cast<int>(expired ? UploadRefusal::kExpired
                                                    : UploadRefusal::kSignature)].inc();
  return upload.error();
}

net::Response acceptUpload(Services& s, const net::Request& request) {
  auto* local = s.blobs.local();
  if (!local) return errorResponse("not_found", "uploads go to the object store");
  auto upload = local->checkSignature(request.target(), request[http::field::content_length],
                                      request[http::field::content_type], nowSeconds());
  if (!upload.ok()) return errorResponse(upload.error());
  if (Status st = s.blobs.accept(*upload, request.body(), nowMs()); !st.ok()) {
    const std::string& code = st.error().code;
    if (code == "hash_mismatch") metrics().uploadsRefused[int(UploadRefusal::kHash)].inc();
    if (code == "type_mismatch") metrics().uploadsRefused[int(UploadRefusal::kType)].inc();
    if (code == "too_large") metrics().uploadsRefused[int(UploadRefusal::kTooLarge)].inc();
    return errorResponse(st.error());
  }
  metrics().uploadsAccepted.inc();
  metrics().uploadBytes.inc(request.body().size());
  net::Response res{http::status::created, 11};
  res.set(http::field::etag, "\"" + upload->key + "\"");
  res.set(http::field::cache_control, "no-store");
  return res;
}

void addBlobRoutes(Router& r, Services& s) {
  r.add(verb::post, "/api/uploads", [&s](Call& c) { return prepareUploads(s, c); });
  r.add(verb::get, "/api/stickers", [&s](Call& c) { return listStickers(s, c); });
  r.add(verb::post, "/api/stickers", [&s](Call& c) { return addSticker(s, c); });
  r.add(verb::delete_, "/api/stickers/:id", [&s](Call& c) { return deleteSticker(s, c); });
}

}  // namespace roomchat::api
