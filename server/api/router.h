// Router maps "METHOD /api/rooms/:id/..." patterns to route functions and
// resolves the caller's session first where a route needs one (401 without,
// 503 when the meta store cannot tell). Route functions run on the work pool
// and may block. Every answer of 500 or more is logged with its route pattern
// (never the path, which may hold an invite token); the meta store counts its
// own failures.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http_util.h"
#include "api/services.h"
#include "model/types.h"
#include "net/http.h"

namespace roomchat::api {

struct Session {
  model::User user;
  std::string tokenHash;
};

struct Call {
  const net::Request& request;
  const net::Peer& peer;
  std::vector<std::string> params;            // the ":name" segments, in order
  std::map<std::string, std::string> query;
  std::optional<Session> session;
};

// The hash of the session token in the request's cookie (what the meta
// store keys sessions by), without asking the store; nullopt without one.
std::optional<std::string> sessionTokenHash(const net::Request& request);

// The session of a request's cookie: nullopt when there is none or it is not
// live; an Error ("storage_unavailable") when the meta store cannot say, which
// must never be answered as "signed out".
Result<std::optional<Session>> sessionOf(Services& s, const net::Request& request);

// The room as `userId` may see it, from its row: role owner/member/guest and
// isFavorite; Error{"forbidden"} for a private room the user is not in, or the
// meta store's error. The one access rule shared by the routes and the
// WebSocket upgrade.
Result<model::RoomView> accessTo(Services& s, const model::Room& room, const std::string& userId);

// Starts a session for `userId`: the Set-Cookie value that carries it, or
// the meta store's error.
Result<std::string> newSessionCookie(Services& s, const std::string& userId);

class Router {
 public:
  using Route = std::function<net::Response(Call&)>;

  void add(net::http::verb method, std::string pattern, Route route, bool needsSession = true);
  net::Response dispatch(Services& s, const net::Request& request, const net::Peer& peer) const;

 private:
  struct Entry {
    net::http::verb method;
    std::string pattern;
    std::vector<std::string> segments;
    Route route;
    bool needsSession;
  };
  static net::Response withSession(Services& s, const Entry& e, Call& call);

  std::vector<Entry> entries_;
};

void addAuthRoutes(Router& router, Services& s);
void addRoomRoutes(Router& router, Services& s);
void addBlobRoutes(Router& router, Services& s);  // uploads and stickers
void addPreviewRoutes(Router& router, Services& s);
void addOidcRoutes(Router& router, Services& s);  // providers, sign-in, linked identities

}  // namespace roomchat::api
