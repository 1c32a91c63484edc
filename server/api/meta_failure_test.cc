// Every route of the API with meta.db on a failing disk (FaultVfs, faults on
// meta.db only: the room files keep working). The handler is driven the way
// the network layer drives it (ApiHandler::handle and ::upgrade), with the
// real meta store, room directory and registry. docs/operations.md has the
// table these tests check.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "api/handler.h"
#include "base/ids.h"
#include "base/metrics.h"
#include "blob/sigv4.h"
#include "store/test_support.h"

namespace roomchat::api {
namespace {

namespace asio = boost::asio;
namespace http = net::http;
using store::testutil::FaultVfs;
using store::testutil::TempDir;

struct Answer {
  int status = 0;
  Json body;  // null unless the body is JSON
  std::string setCookie;
  std::string raw;
  std::string code() const {
    return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
  }
};

// What a Reply puts on the wire, read back.
Answer readReply(net::Reply reply) {
  std::string wire;
  boost::system::error_code ec;
  while (!reply.is_done() && !ec) {
    auto buffers = reply.prepare(ec);
    size_t n = 0;
    for (auto b : buffers) {
      wire.append(static_cast<const char*>(b.data()), b.size());
      n += b.size();
    }
    reply.consume(n);
  }
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  std::string_view rest = wire;
  while (!parser.is_done() && !rest.empty() && !ec) rest.remove_prefix(parser.put(asio::buffer(rest), ec));
  EXPECT_FALSE(ec) << ec.message() << " in " << wire;
  Answer a;
  a.status = parser.get().result_int();
  a.raw = parser.get().body();
  a.body = Json::parse(a.raw, nullptr, false);
  if (a.body.is_discarded()) a.body = nullptr;
  if (auto it = parser.get().find(http::field::set_cookie); it != parser.get().end())
    a.setCookie = std::string(it->value());
  return a;
}

// Collects what the room sends to a socket.
class FakeChannel : public net::WsChannel {
 public:
  void send(std::shared_ptr<const std::string> frame) override {
    std::lock_guard lock(mu_);
    frames_.push_back(Json::parse(*frame, nullptr, false));
  }
  void close(uint16_t code, std::string) override {
    std::lock_guard lock(mu_);
    closed_ = code;
  }
  // The first frame of `type` received so far (null when none).
  Json find(const std::string& type) {
    std::lock_guard lock(mu_);
    for (const auto& f : frames_)
      if (f.is_object() && f.value("type", "") == type) return f;
    return nullptr;
  }
  std::optional<uint16_t> closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  std::mutex mu_;
  std::vector<Json> frames_;
  std::optional<uint16_t> closed_;
};

class MetaFailure : public ::testing::Test {
 protected:
  MetaFailure() { io_ = std::thread([this] { ioc_.run(); }); }

  // Faults go to meta.db only, from the first connection on.
  static std::unique_ptr<store::MetaStore> openMeta(const TempDir& dir) {
    FaultVfs::install();
    FaultVfs::only("meta.db");
    auto meta = store::openSqliteMetaStore((dir / "meta.db").string());
    EXPECT_TRUE(meta.ok());
    return meta.ok() ? std::move(meta).value() : nullptr;
  }

  // A web client folder with one page.
  static std::string webDir(const TempDir& dir) {
    std::filesystem::create_directories(dir / "web");
    std::ofstream(dir / "web" / "index.html") << "<!doctype html><title>roomchat</title>";
    return (dir / "web").string();
  }

  static room::DirectoryOptions directoryOptions(const TempDir& dir, asio::thread_pool& work) {
    room::DirectoryOptions options;
    options.roomsDir = dir / "rooms";
    options.idleSeconds = 600;
    options.work = work.get_executor();
    options.background = work.get_executor();
    return options;
  }

  ~MetaFailure() override {
    heal();
    FaultVfs::only("");
    directory_.shutdownAll();
    work_.join();
    guard_.reset();
    ioc_.stop();
    io_.join();
  }

  static void breakMeta() { FaultVfs::failLocks = FaultVfs::failReads = FaultVfs::failWrites = true; }
  static void heal() { FaultVfs::failLocks = FaultVfs::failReads = FaultVfs::failWrites = false; }

  static net::Request request(http::verb method, const std::string& target,
                              const std::string& cookie, const std::optional<Json>& body) {
    net::Request req{method, target, 11};
    req.set(http::field::host, "localhost");
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    if (target == "/metrics") req.set(http::field::authorization, "Bearer " + kMetricsToken);
    if (body) {
      req.set(http::field::content_type, "application/json");
      req.body() = body->dump();
    }
    req.prepare_payload();
    return req;
  }

  Answer call(http::verb method, const std::string& target, const std::string& cookie = "",
              const std::optional<Json>& body = std::nullopt) {
    std::promise<net::Reply> done;
    handler_.handle(request(method, target, cookie, body), net::Peer{"127.0.0.1"},
                     [&](net::Reply r) { done.set_value(std::move(r)); });
    return readReply(done.get_future().get());
  }

  // A refused upgrade's answer; status 101 when a socket endpoint was made
  // (it is closed again at once, as net/ does when a handshake fails).
  Answer upgrade(const std::string& roomId, const std::string& cookie,
                 std::shared_ptr<net::WsEndpoint>* keep = nullptr) {
    net::Request req = request(http::verb::get, "/api/rooms/" + roomId + "/ws?tab=t1", cookie, {});
    std::promise<net::UpgradeDecision> done;
    handler_.upgrade(req, net::Peer{"127.0.0.1"},
                      [&](net::UpgradeDecision d) { done.set_value(std::move(d)); });
    net::UpgradeDecision decision = done.get_future().get();
    if (auto* reply = std::get_if<net::Reply>(&decision)) return readReply(std::move(*reply));
    auto endpoint = std::get<std::shared_ptr<net::WsEndpoint>>(decision);
    if (keep) *keep = endpoint;
    else asio::post(endpoint->strand(), [endpoint] { endpoint->onClose(); });
    Answer a;
    a.status = 101;
    return a;
  }

  // Signs up and answers the session cookie ("name=value").
  std::string signUp(const std::string& username) {
    Answer a = call(http::verb::post, "/api/auth/signup", "",
                    Json{{"username", username}, {"password", "long enough"}, {"displayName", username}});
    EXPECT_EQ(a.status, 201) << a.raw;
    userIds_[username] = a.body["user"].value("id", "");
    return a.setCookie.substr(0, a.setCookie.find(';'));
  }

  std::string createRoom(const std::string& cookie, const std::string& visibility = "private") {
    Answer a = call(http::verb::post, "/api/rooms", cookie,
                    Json{{"name", "room"}, {"visibility", visibility}});
    EXPECT_EQ(a.status, 201) << a.raw;
    return a.body["room"].value("id", "");
  }

  TempDir dir_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(ioc_);
  asio::thread_pool work_{2};
  std::unique_ptr<store::MetaStore> meta_ = openMeta(dir_);
  room::LocalRoomDirectory directory_{ioc_, directoryOptions(dir_, work_)};
  blob::LocalBlobStore blobStore_{dir_ / "blobs", "meta-failure-test-secret"};
  blob::BlobService blobs_{*meta_, blobStore_, &blobStore_, blob::BlobLimits{}};
  ConnectionRegistry connections_;
  preview::PreviewService preview_{preview::PreviewOptions{}};
  // A provider that cannot be reached: the sign-in routes answer without it.
  static auth::OidcProviderConfig downProvider() {
    auth::OidcProviderConfig c;
    c.id = "down";
    c.issuer = "http://127.0.0.1:1";
    c.clientId = "roomchat";
    c.tokenAuth = "none";
    c.allowInsecureLoopback = true;
    return c;
  }
  auth::OidcService oidc_{{downProvider()}};
  Services services_{*meta_,
                     directory_,
                     blobs_,
                     connections_,
                     work_,
                     preview_,
                     oidc_,
                     auth::OriginPolicy("http://localhost", {}),
                     auth::minimalPasswordCost(),
                     auth::KeyedRateLimiter(1000, 1000),
                     auth::KeyedRateLimiter(1000, 1000),
                     auth::KeyedRateLimiter(1000, 1000),
                     ApiLimits{},
                     webDir(dir_)};
  static inline const std::string kMetricsToken = "meta-failure-test-token";
  ApiHandler handler_{services_, kMetricsToken};
  std::thread io_;
  std::map<std::string, std::string> userIds_;
};

// The table of docs/operations.md. Each request is made on the failing disk,
// then again once it works, to show it was a valid request that the failure
// alone refused, and that the refused attempt changed nothing.
TEST_F(MetaFailure, EveryRouteAnswersWhatTheOperationsTableSays) {
  const std::string ann = signUp("ann");
  const std::string bob = signUp("bob");
  const std::string room = createRoom(ann);
  Answer inv = call(http::verb::post, "/api/rooms/" + room + "/invites", ann);
  ASSERT_EQ(inv.status, 201) << inv.raw;
  const std::string token = inv.body["token"], inviteId = inv.body["invite"]["id"];
  Answer spare = call(http::verb::post, "/api/rooms/" + room + "/invites", ann);
  ASSERT_EQ(spare.status, 201);
  const std::string spareId = spare.body["invite"]["id"];
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "pixels";
  const blob::Upload image{blob::sigv4::hexSha256(png), static_cast<int64_t>(png.size()),
                           "image/png"};
  ASSERT_TRUE(blobs_.accept(image, png, nowMs()).ok());
  const Json files{{"files", {{{"sha256", image.key}, {"size", image.size},
                               {"contentType", "image/png"}}}}};

  struct Row {
    http::verb method;
    std::string target;
    std::string cookie;
    std::optional<Json> body;
    int broken;  // the status on the failing disk
    int healed;  // the status of the same request once the disk works
  };
  const auto get = http::verb::get, post = http::verb::post, put = http::verb::put,
             patch = http::verb::patch, del = http::verb::delete_;
  const std::string r = "/api/rooms/" + room;
  const std::vector<Row> rows = {
      {get, "/api/auth/providers", "", {}, 200, 200},
      {get, "/api/auth/oidc/down/start?link=1", ann, {}, 503, 302},
      {get, "/api/auth/oidc/down/start", "", {}, 302, 302},
      {get, "/api/auth/oidc/down/callback?state=made-up&code=x", "", {}, 302, 302},
      {get, "/api/me/identities", ann, {}, 503, 200},
      {del, "/api/me/identities/down", ann, {}, 503, 404},
      {post, "/api/auth/signup", "",
       Json{{"username", "cat"}, {"password", "long enough"}, {"displayName", "Cat"}}, 503, 201},
      {post, "/api/auth/login", "", Json{{"username", "ann"}, {"password", "long enough"}}, 503, 200},
      {get, "/api/auth/session", ann, {}, 503, 200},
      {get, "/api/auth/session", "", {}, 401, 401},  // no cookie: nothing to look up
      {patch, "/api/me", ann, Json{{"displayName", "Ann B."}}, 503, 200},
      {get, "/api/users?ids=" + userIds_["bob"], ann, {}, 503, 200},
      {post, "/api/rooms", ann, Json{{"name", "another"}, {"visibility", "public"}}, 503, 201},
      {get, "/api/rooms/mine", ann, {}, 503, 200},
      {get, "/api/rooms/public", ann, {}, 503, 200},
      {get, "/api/rooms/favorites", ann, {}, 503, 200},
      {get, r, ann, {}, 503, 200},
      {patch, r, ann, Json{{"name", "renamed"}}, 503, 200},
      {put, r + "/favorite", ann, {}, 503, 204},
      {del, r + "/favorite", ann, {}, 503, 204},
      {post, r + "/invites", ann, {}, 503, 201},
      {get, r + "/invites", ann, {}, 503, 200},
      {del, r + "/invites/" + spareId, ann, {}, 503, 204},
      {post, "/api/invites/" + token + "/accept", bob, {}, 503, 200},
      {get, r + "/messages", ann, {}, 503, 200},
      {get, r + "/search?q=hello", ann, {}, 503, 200},
      {del, r + "/members/" + userIds_["bob"], ann, {}, 503, 204},
      {post, "/api/uploads", ann, files, 503, 200},
      {get, "/api/stickers", ann, {}, 503, 200},
      {post, "/api/stickers", ann, Json{{"key", image.key}}, 503, 200},
      {get, "/blobs/" + image.key, ann, {}, 503, 200},
      {get, "/api/preview?url=http%3A%2F%2F127.0.0.1%2F", ann, {}, 503, 403},
      {post, "/api/auth/logout", bob, {}, 503, 204},
      {del, r, ann, {}, 503, 204},
  };
  for (const auto& row : rows) {
    const std::string what = std::string(http::to_string(row.method)) + " " + row.target;
    const uint64_t counted = metrics().metaStoreErrors.value();
    breakMeta();
    Answer broken = call(row.method, row.target, row.cookie, row.body);
    heal();
    EXPECT_EQ(broken.status, row.broken) << what << ": " << broken.raw;
    if (row.broken == 503) {
      EXPECT_EQ(broken.code(), "storage_unavailable") << what << ": " << broken.raw;
      EXPECT_TRUE(broken.setCookie.empty()) << what << " changed the cookie: " << broken.setCookie;
      EXPECT_GT(metrics().metaStoreErrors.value(), counted) << what << " was not counted";
    }
    Answer healed = call(row.method, row.target, row.cookie, row.body);
    EXPECT_EQ(healed.status, row.healed) << what << " once the disk works: " << healed.raw;
  }
}

TEST_F(MetaFailure, UpgradesHealthAndMetricsOnAFailingMetaDb) {
  const std::string ann = signUp("ann");
  const std::string room = createRoom(ann);

  breakMeta();
  Answer refused = upgrade(room, ann);
  Answer health = call(http::verb::get, "/healthz");
  Answer scrape = call(http::verb::get, "/metrics");
  Answer page = call(http::verb::get, "/index.html");
  heal();
  EXPECT_EQ(page.status, 200) << page.raw;
  EXPECT_NE(page.raw.find("<title>roomchat</title>"), std::string::npos);
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_EQ(refused.code(), "storage_unavailable") << refused.raw;
  EXPECT_EQ(health.status, 200) << "the process serves: rooms already open keep working";
  EXPECT_EQ(scrape.status, 200);
  EXPECT_NE(scrape.raw.find("roomchat_meta_store_errors_total"), std::string::npos);
  EXPECT_EQ(scrape.raw.find("roomchat_rooms_hibernated "), std::string::npos)
      << "a gauge the server cannot compute is left out, not made up";

  EXPECT_EQ(upgrade(room, ann).status, 101);
  Answer healthyScrape = call(http::verb::get, "/metrics");
  EXPECT_NE(healthyScrape.raw.find("roomchat_rooms_hibernated "), std::string::npos);
}

TEST_F(MetaFailure, AnOpenSocketKeepsChattingWhileMetaDbFails) {
  const std::string ann = signUp("ann");
  const std::string room = createRoom(ann);
  std::shared_ptr<net::WsEndpoint> socket;
  ASSERT_EQ(upgrade(room, ann, &socket).status, 101);
  auto channel = std::make_shared<FakeChannel>();
  asio::post(socket->strand(), [&] {
    socket->onOpen(channel);
    socket->onText(R"({"type":"hello"})");
  });
  auto waitFor = [&](const std::string& type) {
    for (int i = 0; i < 500 && channel->find(type).is_null(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return channel->find(type);
  };
  ASSERT_FALSE(waitFor("welcome").is_null());

  breakMeta();
  asio::post(socket->strand(), [&] {
    socket->onText(R"({"type":"send","clientId":"c1","kind":"text","text":"still here"})");
  });
  Json ack = waitFor("ack");
  heal();
  ASSERT_FALSE(ack.is_null()) << "a message was not stored while meta.db failed";
  EXPECT_EQ(ack["message"]["text"], "still here");
  EXPECT_FALSE(channel->closed());
  std::promise<void> closed;
  asio::post(socket->strand(), [&] {
    socket->onClose();
    closed.set_value();
  });
  closed.get_future().wait();
}

// The three findings of issue 10, each with the one fault it meets in practice.

TEST_F(MetaFailure, ASessionThatCannotBeReadIsA503NotA401) {
  const std::string ann = signUp("ann");
  FaultVfs::failLocks = true;
  Answer a = call(http::verb::get, "/api/auth/session", ann);
  Answer rooms = call(http::verb::get, "/api/rooms/mine", ann);
  heal();
  EXPECT_EQ(a.status, 503) << "a 401 signs the web client out: " << a.raw;
  EXPECT_EQ(a.code(), "storage_unavailable");
  EXPECT_EQ(rooms.status, 503) << rooms.raw;
  EXPECT_EQ(call(http::verb::get, "/api/auth/session", ann).status, 200);
}

TEST_F(MetaFailure, ALogoutThatCannotBeStoredIsA503AndTheCookieStays) {
  const std::string ann = signUp("ann");
  FaultVfs::failWrites = true;
  Answer out = call(http::verb::post, "/api/auth/logout", ann);
  heal();
  EXPECT_EQ(out.status, 503) << out.raw;
  EXPECT_EQ(out.code(), "storage_unavailable");
  EXPECT_TRUE(out.setCookie.empty()) << "the client was told to forget a session that still works";
  EXPECT_EQ(call(http::verb::get, "/api/auth/session", ann).status, 200);

  Answer again = call(http::verb::post, "/api/auth/logout", ann);
  EXPECT_EQ(again.status, 204);
  EXPECT_EQ(call(http::verb::get, "/api/auth/session", ann).status, 401);
}

TEST_F(MetaFailure, AFavoriteThatCannotBeStoredIsA503) {
  const std::string ann = signUp("ann");
  const std::string room = createRoom(ann, "public");
  FaultVfs::failWrites = true;
  Answer fav = call(http::verb::put, "/api/rooms/" + room + "/favorite", ann);
  heal();
  EXPECT_EQ(fav.status, 503) << fav.raw;
  EXPECT_EQ(fav.code(), "storage_unavailable");
  EXPECT_EQ(call(http::verb::get, "/api/rooms/" + room, ann).body["room"]["isFavorite"], false);
  EXPECT_EQ(call(http::verb::put, "/api/rooms/" + room + "/favorite", ann).status, 204);
  EXPECT_EQ(call(http::verb::get, "/api/rooms/" + room, ann).body["room"]["isFavorite"], true);
}

}  // namespace
}  // namespace roomchat::api
