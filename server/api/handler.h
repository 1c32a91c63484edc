// ApiHandler is the application's net::HttpHandler: the Origin guard on
// state-changing requests, the API routes (run on the work pool), /healthz,
// /metrics, the web client's static files, and the authorization of room
// WebSocket upgrades (session, room access, connection cap) before a
// RoomSocket takes the socket.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "api/router.h"
#include "api/services.h"
#include "auth/rate_limiter.h"
#include "net/http.h"
#include "net/static_files.h"

namespace roomchat::api {

class ApiHandler : public net::HttpHandler {
 public:
  // /metrics answers only requests with "Authorization: Bearer
  // <metricsToken>"; with no token it is not served (404).
  ApiHandler(Services& services, std::string metricsToken);

  size_t bodyLimit(const net::RequestHeader& header) const override;
  std::optional<net::Response> screen(const net::RequestHeader& header) override;
  void handle(net::Request&& request, const net::Peer& peer,
              std::function<void(net::Reply)> reply) override;
  void upgrade(const net::Request& request, const net::Peer& peer,
               std::function<void(net::UpgradeDecision)> decide) override;

  // While draining, /healthz answers 503 and upgrades are refused.
  void setDraining() { draining_ = true; }

 private:
  net::Response serveApi(const net::Request& request, const net::Peer& peer);
  net::Response serveBlobs(const net::Request& request);
  net::UpgradeDecision authorizeUpgrade(const net::Request& request, const std::string& roomId);
  net::Response metricsResponse() const;
  bool metricsAllowed(const net::Request& request) const;
  // Security headers of the web client's HTML documents.
  net::StaticFiles::Headers documentHeaders() const;

  Services& s_;
  auth::KeyedRateLimiter connectsPerUser_;  // room socket upgrades
  const std::string metricsToken_;
  Router router_;
  std::optional<net::StaticFiles> web_;
  std::atomic<bool> draining_{false};
};

}  // namespace roomchat::api
