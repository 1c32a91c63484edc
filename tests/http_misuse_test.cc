// "Nothing crashes, nothing is silently dropped": malformed and oversized
// HTTP input gets an HTTP error (or a closed connection), never a dead server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

class HttpMisuse : public ServerTest {};

// Writes `bytes` to a fresh connection and returns whatever comes back until
// the server closes it or 5 s pass.
std::string rawExchange(int port, const std::string& bytes, bool halfClose = true) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    if (halfClose) ::shutdown(fd, SHUT_WR);
    char buf[4096];
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

TEST_F(HttpMisuse, GarbageOnTheWireLeavesTheServerServing) {
  const std::vector<std::string> inputs = {
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // a TLS hello
      "GET\r\n\r\n",
      "NOTAMETHOD / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n{}",
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
      "GET /api/auth/session HTTP/1.1\r\nHost: x\r\nCookie: roomchat_session=" +
          std::string(100000, 'c') + "\r\n\r\n",
      "GET /" + std::string(200000, 'p') + " HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const auto& in : inputs) {
    std::string reply = rawExchange(port(), in);
    if (!reply.empty()) {
      EXPECT_EQ(reply.rfind("HTTP/1.1 ", 0), 0u) << "not an HTTP answer to '" << in.substr(0, 60)
                                                 << "': " << reply.substr(0, 200);
      EXPECT_EQ(reply.find("HTTP/1.1 5"), std::string::npos)
          << "a 5xx for '" << in.substr(0, 60) << "': " << reply.substr(0, 200);
    }
    ASSERT_TRUE(server().running()) << "the server died on '" << in.substr(0, 60) << "'";
  }
  EXPECT_EQ(anonymous().get("/healthz").status, 200);
  TestUser u = newUser();
  EXPECT_FALSE(createRoom(u, "still fine").is_null());
}

TEST_F(HttpMisuse, AnOversizedBodyIs413TooLarge) {
  TestUser u = newUser();
  // The headers announce 20 MiB: the server can answer before the body.
  std::string request = "POST /api/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " +
                        u.http.cookieHeader() +
                        "\r\nContent-Type: application/json\r\nContent-Length: 20971520\r\n\r\n" +
                        "{\"name\": \"" + std::string(1024, 'n');
  std::string reply = rawExchange(port(), request, /*halfClose=*/false);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << "answer: " << reply.substr(0, 300);
  EXPECT_NE(reply.find("too_large"), std::string::npos) << reply.substr(0, 300);
  EXPECT_TRUE(server().running());
  EXPECT_EQ(anonymous().get("/healthz").status, 200);
}

TEST_F(HttpMisuse, AChunkedBodyIs411AndTheConnectionCloses) {
  TestUser u = newUser();
  std::string request = "POST /api/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " +
                        u.http.cookieHeader() +
                        "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "11\r\n{\"name\":\"chunky\"}\r\n0\r\n\r\n";
  std::string reply = rawExchange(port(), request, /*halfClose=*/false);
  EXPECT_EQ(reply.rfind("HTTP/1.1 411", 0), 0u) << "answer: " << reply.substr(0, 300);
  EXPECT_NE(reply.find("length_required"), std::string::npos) << reply.substr(0, 300);
  EXPECT_TRUE(server().running());
  auto rooms = u.http.get("/api/rooms/mine");
  EXPECT_EQ(rooms.status, 200);
  EXPECT_EQ(rooms.body.find("chunky"), std::string::npos) << "the body was not acted on";
}

// Request smuggling: a front proxy and this server must never disagree on
// where a request ends or what it says. Anything two parsers could read two
// ways is refused before a route sees it, and the connection closes.
TEST_F(HttpMisuse, AnUnknownTransferEncodingIs501AndTheBodyIsNotActedOn) {
  TestUser u = newUser();
  for (const std::string coding : {"gzip", "identity", "gzip, chunked", "chunked, gzip"}) {
    std::string request = "POST /api/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " +
                          u.http.cookieHeader() +
                          "\r\nContent-Type: application/json\r\nTransfer-Encoding: " + coding +
                          "\r\n\r\n{\"name\":\"encoded\",\"visibility\":\"public\"}";
    std::string reply = rawExchange(port(), request);
    EXPECT_EQ(reply.rfind("HTTP/1.1 501", 0), 0u) << coding << ": " << reply.substr(0, 300);
    EXPECT_NE(reply.find("\"not_implemented\""), std::string::npos) << reply.substr(0, 300);
  }
  auto rooms = u.http.get("/api/rooms/mine");
  EXPECT_EQ(rooms.status, 200);
  EXPECT_EQ(rooms.body.find("encoded"), std::string::npos) << "a body was acted on";
}

TEST_F(HttpMisuse, ObsoleteLineFoldingIs400) {
  TestUser u = newUser();
  const std::string body = R"({"name":"folded","visibility":"public"})";
  // A folded line a proxy may read as its own header (here: a second Host).
  std::string request = "POST /api/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\r\n Host: evil\r\n"
                        "Cookie: " + u.http.cookieHeader() +
                        "\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string reply = rawExchange(port(), request);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply.substr(0, 300);
  EXPECT_NE(reply.find("\"bad_request\""), std::string::npos) << reply.substr(0, 300);
  // A fold with a tab, on a header the route reads.
  std::string tabbed = "GET /api/auth/session HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie:\r\n\t" +
                       u.http.cookieHeader() + "\r\n\r\n";
  reply = rawExchange(port(), tabbed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply.substr(0, 300);
  // Empty lines before the request line are allowed, and do not hide a fold.
  reply = rawExchange(port(), "\r\n\r\n\r\n" + tabbed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply.substr(0, 300);
  reply = rawExchange(port(), "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply.substr(0, 300);
  auto rooms = u.http.get("/api/rooms/mine");
  EXPECT_EQ(rooms.body.find("folded"), std::string::npos) << "the request was acted on";
}

TEST_F(HttpMisuse, TwoHostHeadersAre400) {
  TestUser u = newUser();
  for (const std::string hosts : {"Host: 127.0.0.1\r\nHost: evil.example",
                                  "Host: 127.0.0.1\r\nhost: 127.0.0.1"}) {
    std::string request = "GET /api/auth/session HTTP/1.1\r\n" + hosts + "\r\nCookie: " +
                          u.http.cookieHeader() + "\r\n\r\n";
    std::string reply = rawExchange(port(), request);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << hosts << ": " << reply.substr(0, 300);
    EXPECT_NE(reply.find("\"bad_request\""), std::string::npos) << reply.substr(0, 300);
  }
}

TEST_F(HttpMisuse, LowercaseMethodsAre400) {
  for (const std::string line : {"get /healthz HTTP/1.1", "Get /healthz HTTP/1.1",
                                 "post /api/auth/logout HTTP/1.1"}) {
    std::string reply = rawExchange(port(), line + "\r\nHost: 127.0.0.1\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << line << ": " << reply.substr(0, 300);
  }
  // The uppercase method still works on the same server.
  std::string ok = rawExchange(port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok.substr(0, 300);
}

// A JSON route reads only JSON: a text/plain body is what a cross-site form
// can send without a preflight, so it is refused before the route runs.
TEST_F(HttpMisuse, AJsonBodyOfAnotherMediaTypeIs415AndNothingHappens) {
  TestUser u = newUser();
  const std::string room = R"({"name":"plain","visibility":"public"})";
  for (const std::string type : {"text/plain", "text/plain; charset=utf-8", "application/jsonx",
                                 "application/x-www-form-urlencoded", "multipart/form-data",
                                 "", "json"}) {
    auto res = u.http.request("POST", "/api/rooms", room, {}, type);
    EXPECT_EQ(res.status, 415) << "'" << type << "': " << res.describe();
    EXPECT_TRUE(res.isErrorShape()) << res.body;
    EXPECT_EQ(res.errorCode(), "unsupported_media_type") << res.body;
  }
  // No Content-Type at all.
  std::string raw = "POST /api/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " +
                    u.http.cookieHeader() + "\r\nContent-Length: " +
                    std::to_string(room.size()) + "\r\n\r\n" + room;
  std::string reply = rawExchange(port(), raw);
  EXPECT_EQ(reply.rfind("HTTP/1.1 415", 0), 0u) << reply.substr(0, 300);
  auto patch = u.http.request("PATCH", "/api/me", R"({"displayName":"Plain Text"})", {},
                              "text/plain");
  EXPECT_EQ(patch.status, 415) << patch.describe();
  auto signup = anonymous().request(
      "POST", "/api/auth/signup",
      R"({"username":"plainsignup","password":"long enough pw","displayName":"P"})", {},
      "text/plain");
  EXPECT_EQ(signup.status, 415) << signup.describe();

  auto mine = u.http.get("/api/rooms/mine");
  EXPECT_EQ(mine.body.find("plain"), std::string::npos) << "a room was created: " << mine.body;
  EXPECT_EQ(u.http.get("/api/auth/session").json["user"]["displayName"], u.displayName);
  EXPECT_EQ(anonymous().post("/api/auth/login", {{"username", "plainsignup"},
                                                 {"password", "long enough pw"}}).status, 401);
  // JSON with parameters and in any case is JSON; bodiless POSTs need no type.
  auto ok = u.http.request("POST", "/api/rooms", room, {}, "Application/JSON; charset=UTF-8");
  EXPECT_EQ(ok.status, 201) << ok.describe();
  EXPECT_EQ(u.http.postEmpty("/api/rooms/" + ok.json["room"]["id"].get<std::string>() +
                             "/invites").status, 201);
}

TEST_F(HttpMisuse, JsonOfTheWrongShapeIs400NotACrash) {
  TestUser u = newUser();
  for (const std::string body : {"[]", "null", "\"x\"", "{\"name\": {\"nested\": 1}}", "{"}) {
    auto res = u.http.request("POST", "/api/rooms", body);
    EXPECT_EQ(res.status, 400) << body << ": " << res.describe();
    EXPECT_TRUE(res.isErrorShape()) << body << ": " << res.body;
  }
  for (const std::string body : {"[]", "null", "\"x\"", "{"}) {
    auto patch = u.http.request("PATCH", "/api/me", body);
    EXPECT_EQ(patch.status, 400) << body << ": " << patch.describe();
  }
  EXPECT_TRUE(server().running());
}

}  // namespace
}  // namespace roomchat::test
