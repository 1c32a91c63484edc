#include "api/router.h"

#include <spdlog/spdlog.h>

#include "base/ids.h"
#include "net/static_files.h"

namespace roomchat::api {

namespace {

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

std::optional<std::string> sessionTokenHash(const net::Request& request) {
  auto header = request.find(net::http::field::cookie);
  if (header == request.end()) return std::nullopt;
  auto token = auth::cookieValue(header->value(), auth::kSessionCookie);
  if (!token || token->empty() || token->size() > 128) return std::nullopt;
  return sha256Hex(*token);
}

Result<std::optional<Session>> sessionOf(Services& s, const net::Request& request) {
  const std::optional<Session> none;
  auto tokenHash = sessionTokenHash(request);
  if (!tokenHash) return none;
  std::string hash = std::move(*tokenHash);
  auto record = s.meta.sessionByHash(hash, nowMs());
  if (!record.ok()) return record.error();
  if (!*record) return none;
  auto user = s.meta.userById((*record)->userId);
  if (!user.ok()) return user.error();
  if (!*user) return none;
  return std::optional<Session>(Session{std::move(**user), std::move(hash)});
}

Result<model::RoomView> accessTo(Services& s, const model::Room& room,
                                 const std::string& userId) {
  auto ties = s.meta.membership(room.id, userId);
  if (!ties.ok()) return ties.error();
  model::RoomView v{room, ties->favorite, model::Role::kGuest, std::nullopt};
  if (room.ownerId == userId) v.role = model::Role::kOwner;
  else if (ties->member) v.role = model::Role::kMember;
  if (room.visibility == model::Visibility::kPrivate && v.role == model::Role::kGuest)
    return makeError("forbidden", "this room is private");
  return v;
}

net::Response Router::withSession(Services& s, const Entry& e, Call& call) {
  auto session = sessionOf(s, call.request);
  if (!session.ok()) return errorResponse(session.error());
  if (!*session) return errorResponse("unauthenticated", "sign in first");
  call.session = std::move(*session);
  return e.route(call);
}

void Router::add(net::http::verb method, std::string pattern, Route route, bool needsSession) {
  auto segments = split(pattern);
  entries_.push_back({method, std::move(pattern), std::move(segments), std::move(route),
                      needsSession});
}

net::Response Router::dispatch(Services& s, const net::Request& request,
                               const net::Peer& peer) const {
  std::string_view target = request.target();
  size_t q = target.find('?');
  auto path = net::decodePath(target.substr(0, q));
  if (!path) return errorResponse("bad_request", "malformed path");
  auto segments = split(*path);
  bool pathMatched = false;
  for (const auto& e : entries_) {
    if (e.segments.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      if (!e.segments[i].empty() && e.segments[i][0] == ':') params.push_back(segments[i]);
      else match = e.segments[i] == segments[i];
    }
    if (!match) continue;
    pathMatched = true;
    if (e.method != request.method()) continue;
    Call call{request, peer, std::move(params),
              parseQuery(queryOf(target)), std::nullopt};
    net::Response res = e.needsSession ? withSession(s, e, call) : e.route(call);
    if (res.result_int() >= 500) {
      spdlog::error("{} {}: {} {}", std::string(request.method_string()), e.pattern,
                    res.result_int(), res.body());
    }
    return res;
  }
  if (pathMatched) {
    auto res = errorResponse("method_not_allowed", "method not allowed");
    res.result(net::http::status::method_not_allowed);
    return res;
  }
  return errorResponse("not_found", "no such endpoint");
}

}  // namespace roomchat::api
