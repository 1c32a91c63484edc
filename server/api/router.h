// Router maps "METHOD /api/rooms/:id/..." patterns to route functions and
// resolves the caller's session first where a route needs one (401 without).
// Route functions run on the work pool and may block.
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

// The session of a request's cookie, if it is live.
std::optional<Session> sessionOf(Services& s, const net::Request& request);

// The room as `userId` may see it, from its row: role owner/member/guest and
// isFavorite; Error{"forbidden"} for a private room the user is not in. The
// one access rule shared by the routes and the WebSocket upgrade.
Result<model::RoomView> accessTo(Services& s, const model::Room& room, const std::string& userId);

class Router {
 public:
  using Route = std::function<net::Response(Call&)>;

  void add(net::http::verb method, std::string pattern, Route route, bool needsSession = true);
  net::Response dispatch(Services& s, const net::Request& request, const net::Peer& peer) const;

 private:
  struct Entry {
    net::http::verb method;
    std::vector<std::string> segments;
    Route route;
    bool needsSession;
  };
  std::vector<Entry> entries_;
};

void addAuthRoutes(Router& router, Services& s);
void addRoomRoutes(Router& router, Services& s);

}  // namespace roomchat::api
