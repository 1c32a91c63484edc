#include "api/handler.h"

#include <chrono>

#include <boost/asio/post.hpp>
#include <sodium.h>
#include <boost/beast/core/string.hpp>
#include <spdlog/spdlog.h>

#include "api/blob_routes.h"
#include "api/room_socket.h"
#include "base/ids.h"
#include "base/metrics.h"

namespace roomchat::api {

namespace http = net::http;
namespace asio = boost::asio;

namespace {

constexpr size_t kApiBodyLimit = 64 * 1024;

bool isStateChanging(http::verb v) {
  return v == http::verb::post || v == http::verb::put || v == http::verb::patch ||
         v == http::verb::delete_;
}

bool isBlobPath(std::string_view path) { return path.rfind("/blobs/", 0) == 0; }

std::optional<std::string_view> originOf(const net::RequestHeader& request) {
  auto it = request.find(http::field::origin);
  if (it == request.end()) return std::nullopt;
  return std::string_view(it->value());
}

std::string_view pathOf(const net::RequestHeader& request) {
  std::string_view target = request.target();
  return target.substr(0, target.find('?'));
}

// "/api/rooms/<id>/ws" → "<id>"
std::optional<std::string> wsRoomId(std::string_view path) {
  constexpr std::string_view prefix = "/api/rooms/", suffix = "/ws";
  if (path.size() <= prefix.size() + suffix.size() || path.rfind(prefix, 0) != 0 ||
      path.substr(path.size() - suffix.size()) != suffix)
    return std::nullopt;
  std::string id(path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()));
  return isValidId(id) ? std::optional(id) : std::nullopt;
}

// A freed connection slot cannot be predicted: a client retries after this.
constexpr int kSocketCapRetrySeconds = 5;

net::Response tooMany(const std::string& message, int retryAfterSeconds) {
  auto res = errorResponse("rate_limited", message);
  res.set(http::field::retry_after, std::to_string(retryAfterSeconds));
  return res;
}

net::Reply finish(net::Response res, const net::Request& request) {
  res.version(request.version());
  res.keep_alive(request.keep_alive());
  res.prepare_payload();
  return net::Reply(std::move(res));
}

}  // namespace

ApiHandler::ApiHandler(Services& services, std::string metricsToken)
    : s_(services),
      connectsPerUser_(services.limits.connectPerMinute / 60.0, services.limits.connectBurst),
      metricsToken_(std::move(metricsToken)) {
  addAuthRoutes(router_, s_);
  addRoomRoutes(router_, s_);
  addBlobRoutes(router_, s_);
  addPreviewRoutes(router_, s_);
  addOidcRoutes(router_, s_);
  if (!s_.webDir.empty()) web_.emplace(s_.webDir);
}

size_t ApiHandler::bodyLimit(const net::RequestHeader& header) const {
  if (header.method() == http::verb::put && isBlobPath(pathOf(header)))
    return static_cast<size_t>(s_.blobs.limits().maxBytes);
  return kApiBodyLimit;
}

// An upload's signature and expiry are known from its header: a refused one
// is answered before megabytes of body are read.
std::optional<net::Response> ApiHandler::screen(const net::RequestHeader& header) {
  if (header.method() != http::verb::put || !isBlobPath(pathOf(header))) return std::nullopt;
  if (!s_.origins.allows(originOf(header)))
    return errorResponse("bad_origin", "requests from this origin are not allowed");
  if (auto refusal = screenUpload(s_, header)) return errorResponse(*refusal);
  return std::nullopt;
}

net::Response ApiHandler::serveBlobs(const net::Request& request) {
  try {
    if (request.method() == http::verb::get) return serveBlob(s_, request);
    if (request.method() == http::verb::put) return acceptUpload(s_, request);
    auto res = errorResponse("method_not_allowed", "use GET or PUT");
    res.set(http::field::allow, "GET, PUT");
    return res;
  } catch (const std::exception& e) {
    spdlog::error("{} /blobs/: {}", std::string(request.method_string()), e.what());
    return errorResponse("internal", "internal error");
  }
}

void ApiHandler::handle(net::Request&& request, const net::Peer& peer,
                        std::function<void(net::Reply)> reply) {
  metrics().httpRequests.inc();
  const std::string_view path = pathOf(request);
  if (path == "/healthz") {
    net::Response res = draining_ ? errorResponse("unavailable", "shutting down")
                                  : jsonResponse(http::status::ok, Json{{"status", "ok"}});
    if (draining_) res.result(http::status::service_unavailable);
    return reply(finish(std::move(res), request));
  }
  if (path.rfind("/api/", 0) != 0 && path != "/metrics" && !isBlobPath(path)) {
    if (web_ && (request.method() == http::verb::get || request.method() == http::verb::head))
      if (auto file = web_->serve(request, documentHeaders())) return reply(std::move(*file));
    return reply(finish(errorResponse("not_found", "not found"), request));
  }
  if (draining_) {  // no new work for the pool: it is being emptied
    auto res = errorResponse("unavailable", "shutting down");
    res.result(http::status::service_unavailable);
    return reply(finish(std::move(res), request));
  }
  // The metrics tell who is busy where: for the operator's scraper only.
  if (path == "/metrics" && !metricsAllowed(request)) {
    if (metricsToken_.empty())
      return reply(finish(errorResponse("not_found", "not found"), request));
    auto res = errorResponse("unauthenticated", "a bearer token is required");
    res.set(http::field::www_authenticate, "Bearer");
    return reply(finish(std::move(res), request));
  }
  // An image this session just read: no database, no trip to the pool.
  if (isBlobPath(path))
    if (auto cached = cachedBlob(s_, request)) return reply(finish(std::move(*cached), request));
  auto shared = std::make_shared<net::Request>(std::move(request));
  asio::post(s_.work, [this, shared, peer, reply = std::move(reply)] {
    const auto started = std::chrono::steady_clock::now();
    const std::string_view p = pathOf(*shared);
    net::Response res = p == "/metrics" ? metricsResponse()
                        : isBlobPath(p)  ? serveBlobs(*shared)
                                         : serveApi(*shared, peer);
    metrics().httpSeconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    reply(finish(std::move(res), *shared));
  });
}

net::Response ApiHandler::serveApi(const net::Request& request, const net::Peer& peer) {
  if (isStateChanging(request.method()) && !s_.origins.allows(originOf(request)))
    return errorResponse("bad_origin", "requests from this origin are not allowed");
  // Every API body is JSON. A form or text/plain body is what a cross-site
  // page can send without a preflight: refused before any route reads it.
  if (!request.body().empty() && !isJsonContentType(request[http::field::content_type]))
    return errorResponse("unsupported_media_type", "send the body as application/json");
  try {
    return router_.dispatch(s_, request, peer);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", std::string(request.method_string()),
                  std::string(request.target()), e.what());
    return errorResponse("internal", "internal error");
  }
}

void ApiHandler::upgrade(const net::Request& request, const net::Peer&,
                         std::function<void(net::UpgradeDecision)> decide) {
  auto roomId = wsRoomId(pathOf(request));
  if (!roomId) return decide(finish(errorResponse("not_found", "not found"), request));
  if (!s_.origins.allows(originOf(request)))
    return decide(finish(errorResponse("bad_origin", "cross-site socket refused"), request));
  if (draining_)
    return decide(finish(errorResponse("unavailable", "shutting down"), request));
  // `request` lives as long as `decide` (the session keeps it for the handshake).
  asio::post(s_.work, [this, &request, id = *roomId, decide = std::move(decide)] {
    try {
      decide(authorizeUpgrade(request, id));
    } catch (const std::exception& e) {
      spdlog::error("upgrade {}: {}", id, e.what());
      decide(finish(errorResponse("internal", "internal error"), request));
    }
  });
}

net::UpgradeDecision ApiHandler::authorizeUpgrade(const net::Request& request,
                                                  const std::string& roomId) {
  auto refuse = [&](const Error& e) -> net::UpgradeDecision {
    if (statusOf(e.code) >= http::status::internal_server_error)
      spdlog::error("upgrade of room {}: {} {}", roomId, e.code, e.message);
    return finish(errorResponse(e), request);
  };
  auto found = sessionOf(s_, request);
  if (!found.ok()) return refuse(found.error());
  if (!*found) return refuse({"unauthenticated", "sign in first"});
  const Session& session = **found;
  auto row = s_.meta.roomById(roomId);
  if (!row.ok()) return refuse(row.error());
  if (!*row) return refuse({"not_found", "no such room"});
  const model::Room& info = **row;
  const std::string& userId = session.user.id;
  auto view = accessTo(s_, info, userId);
  if (!view.ok()) return refuse(view.error());
  room::Member member{session.user, view->role, view->isFavorite, ""};
  auto query = parseQuery(queryOf(request.target()));
  if (auto tab = query.find("tab"); tab != query.end() && isValidId(tab->second))
    member.tabId = tab->second;

  // Opening and closing sockets in a loop costs the room a join and a leave
  // each time: new sockets are rate-limited per user, open ones capped.
  if (int wait = connectsPerUser_.retryAfterSeconds(userId, nowMs()))
    return finish(tooMany("too many new connections; try again later", wait), request);
  if (!s_.connections.tryReserve(userId, s_.limits.maxConnectionsPerUser))
    return finish(tooMany("too many open connections", kSocketCapRetrySeconds), request);
  auto room = s_.rooms.acquire(info);
  if (!room.ok()) {
    s_.connections.release(userId);
    return refuse(room.error());
  }
  // Checked again with the room awake and held: a removal from now on finds
  // it awake and reaches it, and the room refuses an attach authorized before.
  member.authorizedAt = nowMs();
  auto still = accessTo(s_, info, userId);
  if (!still.ok()) {
    s_.connections.release(userId);
    return refuse(still.error());
  }
  member.role = still->role;
  SocketLimits limits{s_.limits.messageRate, s_.limits.messageBurst, s_.limits.frames};
  return std::make_shared<RoomSocket>(*room, std::move(member), session.tokenHash,
                                      s_.connections, s_.blobs, limits, s_.work.get_executor());
}

bool ApiHandler::metricsAllowed(const net::Request& request) const {
  if (metricsToken_.empty()) return false;
  std::string_view given = request[http::field::authorization];
  constexpr std::string_view scheme = "Bearer ";
  if (!boost::beast::iequals(given.substr(0, scheme.size()), scheme)) return false;
  given.remove_prefix(scheme.size());
  // Constant time in the token's content (libsodium): no byte-by-byte guessing.
  return given.size() == metricsToken_.size() &&
         sodium_memcmp(given.data(), metricsToken_.data(), given.size()) == 0;
}

// The web client's pages load scripts, styles and images from this origin
// only (styles may be inline: the toaster and the pop-out window insert
// them), talk to this origin's API and room sockets, show uploaded images
// (blob: previews, data: icons), and may not be framed (clickjacking).
net::StaticFiles::Headers ApiHandler::documentHeaders() const {
  std::string origin = s_.origins.publicOrigin();  // http(s)://host[:port]
  const std::string socketOrigin =
      (origin.rfind("https://", 0) == 0 ? "wss://" + origin.substr(8)
                                        : "ws://" + origin.substr(origin.find("://") + 3));
  // An S3 store is another origin: the browser uploads to it and follows
  // redirects to it for images.
  std::string store = s_.blobs.store().browserOrigin();
  if (!store.empty()) store = " " + store;
  std::string csp =
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      "img-src 'self' blob: data:" + store + "; media-src 'self' blob:; font-src 'self' data:; "
      "connect-src 'self' " + socketOrigin + store + "; worker-src 'self' blob:; "
      "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
  return {{"Content-Security-Policy", std::move(csp)},
          {"X-Frame-Options", "DENY"},
          {"Referrer-Policy", "same-origin"}};
}

net::Response ApiHandler::metricsResponse() const {
  std::string body = metrics().render([this](std::string& out) {
    // Without the count the gauge is left out, not made up.
    auto total = s_.meta.roomCount();
    if (!total.ok()) {
      spdlog::warn("metrics: rooms on disk unknown: {}", total.error().message);
      return;
    }
    const auto awake = static_cast<int64_t>(s_.rooms.awake());
    out += "# HELP roomchat_rooms_hibernated Rooms on disk and not in memory.\n"
           "# TYPE roomchat_rooms_hibernated gauge\nroomchat_rooms_hibernated " +
           std::to_string(std::max<int64_t>(0, *total - awake)) + "\n";
  });
  net::Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  return res;
}

}  // namespace roomchat::api
