// Images through the built-in store, over the wire as the browser does it:
// upload tickets, the presigned PUT with everything it may get wrong, image
// messages, who may read a blob, stickers, and garbage collection.
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/ids.h"
#include "support/fixture.h"

namespace roomchat::test {
namespace {

namespace fs = std::filesystem;

// Bytes that start like a PNG (the store checks the magic, not the pixels).
std::string pngBytes(const std::string& salt) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + "IHDR fake image " + salt;
}

class Images : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--blob-gc-interval-seconds", "0", "--max-upload-bytes", "4096"});
    return args;
  }

  json ticketFor(TestUser& u, const std::string& bytes, const std::string& type = "image/png") {
    auto r = u.http.post("/api/uploads",
                         {{"files", {{{"sha256", sha256Hex(bytes)},
                                      {"size", bytes.size()},
                                      {"contentType", type}}}}});
    EXPECT_EQ(r.status, 200) << r.describe();
    return r.json["items"][0];
  }

  HttpResponse putTo(TestUser& u, const std::string& url, const std::string& bytes,
                     const std::string& type = "image/png") {
    return u.http.request("PUT", url, bytes, {}, type);
  }

  // Uploads through a ticket; returns the key.
  std::string upload(TestUser& u, const std::string& bytes) {
    json t = ticketFor(u, bytes);
    if (!t["url"].is_null()) {
      auto r = putTo(u, t["url"], bytes);
      EXPECT_EQ(r.status, 201) << r.describe();
    }
    return t["key"];
  }

  json sendImages(WsClient& ws, const std::string& clientId, const std::vector<std::string>& keys) {
    ws.send({{"type", "send"}, {"clientId", clientId}, {"kind", "image"}, {"images", keys}});
    return ws.expectWhere("", [](const json& f) {
      return f.value("type", "") == "ack" || f.value("type", "") == "error";
    });
  }

  // Every file under the data folder's blobs/ (temporary ones included).
  int filesInBlobStore() {
    int n = 0;
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(fs::path(server().dataDir()) / "blobs", ec))
      n += e.is_regular_file();
    return n;
  }

  int runGc(const std::string& extra = "") {
    std::string cmd = std::string(ROOMCHAT_BIN) + " --data " + server().dataDir() +
                      " blobs gc --blob-gc-grace-seconds 0 " + extra + " > " +
                      server().tempDir() + "/gc.out 2>&1";
    return std::system(cmd.c_str());
  }
};

TEST_F(Images, AnUploadIsStoredOnceAndServedToWhoMaySeeIt) {
  TestUser ann = newUser(), bob = newUser();
  const std::string bytes = pngBytes("a");
  json t = ticketFor(ann, bytes);
  ASSERT_TRUE(t["url"].is_string()) << t.dump();
  EXPECT_EQ(t["method"], "PUT");
  EXPECT_EQ(t["headers"]["Content-Type"], "image/png");
  EXPECT_EQ(t["url"].get<std::string>().rfind("/blobs/" + sha256Hex(bytes) + "?X-Amz-", 0), 0u);
  auto put = putTo(ann, t["url"], bytes);
  ASSERT_EQ(put.status, 201) << put.describe();
  EXPECT_TRUE(ticketFor(bob, bytes)["url"].is_null()) << "a stored image is not uploaded again";

  std::string roomId = createRoom(ann, "pics")["id"];
  Joined a = join(ann, roomId);
  json ack = sendImages(*a, "i1", {t["key"]});
  ASSERT_EQ(ack["type"], "ack") << ack.dump();
  EXPECT_EQ(ack["message"]["images"][0], t["key"]);

  auto got = bob.http.get("/blobs/" + t["key"].get<std::string>());
  ASSERT_EQ(got.status, 200) << got.describe();
  EXPECT_EQ(got.body, bytes);
  EXPECT_EQ(got.header("Content-Type"), "image/png");
  EXPECT_EQ(got.header("Cache-Control"), "private, max-age=31536000, immutable");
  EXPECT_EQ(got.header("ETag"), "\"" + t["key"].get<std::string>() + "\"");
  EXPECT_EQ(got.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(got.header("Content-Security-Policy"), "default-src 'none'");
  auto same = bob.http.get("/blobs/" + t["key"].get<std::string>(),
                           {{"If-None-Match", got.header("ETag")}});
  EXPECT_EQ(same.status, 304);
  auto part = bob.http.get("/blobs/" + t["key"].get<std::string>(), {{"Range", "bytes=0-3"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, bytes.substr(0, 4));
  EXPECT_EQ(part.header("Content-Range"), "bytes 0-3/" + std::to_string(bytes.size()));
  EXPECT_EQ(anonymous().get("/blobs/" + t["key"].get<std::string>()).status, 401);
}

TEST_F(Images, AnImageOfAPrivateRoomIsNotFoundForOthersEvenWithItsKey) {
  TestUser ann = newUser(), eve = newUser();
  std::string roomId = createRoom(ann, "secret", "private")["id"];
  const std::string key = upload(ann, pngBytes("private"));
  Joined a = join(ann, roomId);
  ASSERT_EQ(sendImages(*a, "p1", {key})["type"], "ack");
  EXPECT_EQ(ann.http.get("/blobs/" + key).status, 200);
  auto r = eve.http.get("/blobs/" + key);
  EXPECT_EQ(r.status, 404) << "a key is a content hash: holding it grants nothing";
  EXPECT_TRUE(r.isErrorShape());
  // Uploaded and never sent: nobody reads it, not even through a guess.
  const std::string loose = upload(eve, pngBytes("loose"));
  EXPECT_EQ(ann.http.get("/blobs/" + loose).status, 404);
  EXPECT_EQ(ann.http.get("/blobs/" + std::string(64, 'a')).status, 404);
}

TEST_F(Images, EveryBadUploadIsRefusedAndStoresNothing) {
  TestUser ann = newUser();
  const std::string bytes = pngBytes("bad");
  const std::string url = ticketFor(ann, bytes)["url"];

  std::string wrong = bytes;
  wrong.back() ^= 1;
  auto r = putTo(ann, url, wrong);
  EXPECT_EQ(r.status, 400) << r.describe();
  EXPECT_EQ(r.errorCode(), "hash_mismatch");
  r = putTo(ann, url, bytes + "more");  // another length than signed
  EXPECT_EQ(r.status, 403) << r.describe();
  r = putTo(ann, url, bytes, "image/gif");  // another type than signed
  EXPECT_EQ(r.status, 403) << r.describe();
  r = putTo(ann, url + "0", bytes);  // a tampered signature
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_EQ(r.errorCode(), "bad_signature");
  r = putTo(ann, "/blobs/" + sha256Hex(bytes), bytes);  // not signed at all
  EXPECT_EQ(r.status, 403) << r.describe();

  const std::string text = "plain text pretending to be a png";
  const std::string textUrl = ticketFor(ann, text)["url"];
  r = putTo(ann, textUrl, text);
  EXPECT_EQ(r.status, 415) << r.describe();
  EXPECT_EQ(r.errorCode(), "type_mismatch");

  auto big = ann.http.post("/api/uploads", {{"files", {{{"sha256", sha256Hex("x")},
                                                        {"size", 5000},
                                                        {"contentType", "image/png"}}}}});
  EXPECT_EQ(big.status, 413) << big.describe();
  auto badType = ann.http.post("/api/uploads", {{"files", {{{"sha256", sha256Hex("x")},
                                                            {"size", 5},
                                                            {"contentType", "image/svg+xml"}}}}});
  EXPECT_EQ(badType.status, 400) << badType.describe();
  auto eleven = json::array();
  for (int i = 0; i < 11; ++i)
    eleven.push_back({{"sha256", sha256Hex(std::to_string(i))}, {"size", 5},
                      {"contentType", "image/png"}});
  EXPECT_EQ(ann.http.post("/api/uploads", {{"files", eleven}}).status, 400);
  EXPECT_EQ(filesInBlobStore(), 0);
  EXPECT_TRUE(ticketFor(ann, bytes)["url"].is_string()) << "nothing was stored";
}

TEST_F(Images, ABodyCutOffMidUploadLeavesNothing) {
  TestUser ann = newUser();
  const std::string bytes = pngBytes(std::string(2000, 'z'));
  const std::string url = ticketFor(ann, bytes)["url"];
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string head = "PUT " + url + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                     "Content-Length: " + std::to_string(bytes.size()) + "\r\n\r\n";
  std::string half = head + bytes.substr(0, bytes.size() / 2);
  ASSERT_EQ(::write(fd, half.data(), half.size()), static_cast<ssize_t>(half.size()));
  std::this_thread::sleep_for(200ms);
  ::close(fd);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(filesInBlobStore(), 0);
  EXPECT_TRUE(ticketFor(ann, bytes)["url"].is_string()) << "the cut upload is not stored";
  EXPECT_EQ(putTo(ann, url, bytes).status, 201) << "the same URL still works for a whole body";
}

TEST_F(Images, StickersAreAPerUserLibraryOfStoredImages) {
  TestUser ann = newUser(), bob = newUser();
  auto missing = ann.http.post("/api/stickers", {{"key", std::string(64, 'c')}});
  EXPECT_EQ(missing.status, 404) << missing.describe();
  EXPECT_EQ(ann.http.post("/api/stickers", {{"key", "nope"}}).status, 400);
  const std::string key = upload(ann, pngBytes("sticker"));
  auto first = ann.http.post("/api/stickers", {{"key", key}});
  ASSERT_EQ(first.status, 200) << first.describe();
  auto again = ann.http.post("/api/stickers", {{"key", key}});
  EXPECT_EQ(again.json["sticker"]["id"], first.json["sticker"]["id"]) << "idempotent";
  auto list = ann.http.get("/api/stickers?limit=10");
  ASSERT_EQ(list.json["items"].size(), 1u) << list.describe();
  EXPECT_EQ(list.json["items"][0]["key"], key);
  EXPECT_TRUE(list.json["nextCursor"].is_null());
  EXPECT_EQ(ann.http.get("/blobs/" + key).status, 200) << "one's own sticker is readable";
  EXPECT_EQ(bob.http.get("/blobs/" + key).status, 404);
  EXPECT_TRUE(bob.http.get("/api/stickers").json["items"].empty());
  const std::string id = first.json["sticker"]["id"];
  EXPECT_EQ(bob.http.del("/api/stickers/" + id).status, 404) << "not bob's";
  EXPECT_EQ(ann.http.del("/api/stickers/" + id).status, 204);
  EXPECT_EQ(ann.http.del("/api/stickers/" + id).status, 404);
  EXPECT_EQ(ann.http.get("/api/stickers?limit=0").status, 400);
}

TEST_F(Images, AvatarsMustBeUploadedAndAreVisibleToEveryone) {
  TestUser ann = newUser(), bob = newUser();
  EXPECT_EQ(ann.http.patch("/api/me", {{"avatar", std::string(64, 'd')}}).status, 404);
  const std::string key = upload(ann, pngBytes("avatar"));
  auto me = ann.http.patch("/api/me", {{"avatar", key}});
  ASSERT_EQ(me.status, 200) << me.describe();
  EXPECT_EQ(me.json["user"]["avatarUrl"], "/blobs/" + key);
  EXPECT_EQ(bob.http.get("/blobs/" + key).status, 200);
}

TEST_F(Images, CollectionRemovesWhatNothingHoldsAndKeepsTheRest) {
  TestUser ann = newUser();
  std::string roomId = createRoom(ann, "gc")["id"];
  Joined a = join(ann, roomId);
  const std::string gone = upload(ann, pngBytes("deleted message"));
  const std::string kept = upload(ann, pngBytes("sticker too"));
  const std::string live = upload(ann, pngBytes("live message"));
  json m1 = sendImages(*a, "g1", {gone, kept});
  json m2 = sendImages(*a, "g2", {live});
  ASSERT_EQ(m1["type"], "ack");
  ASSERT_EQ(m2["type"], "ack");
  ASSERT_EQ(ann.http.post("/api/stickers", {{"key", kept}}).status, 200);
  a->send({{"type", "delete"}, {"seq", m1["message"]["seq"]}});
  ASSERT_EQ(a->expect("messageUpdated")["message"]["deleted"], true);
  const std::string stray = upload(ann, pngBytes("uploaded, never sent"));
  std::this_thread::sleep_for(20ms);  // grace 0: everything is older than "now"

  ASSERT_EQ(runGc("--dry-run"), 0);
  EXPECT_EQ(filesInBlobStore(), 4) << "a dry run removes nothing";
  ASSERT_EQ(runGc(), 0) << server().log();
  EXPECT_EQ(ann.http.get("/blobs/" + gone).status, 404);
  EXPECT_EQ(ann.http.get("/blobs/" + kept).status, 200) << "a sticker holds it";
  EXPECT_EQ(ann.http.get("/blobs/" + live).status, 200) << "a live message holds it";
  EXPECT_TRUE(ticketFor(ann, pngBytes("deleted message"))["url"].is_string());
  EXPECT_TRUE(ticketFor(ann, pngBytes("uploaded, never sent"))["url"].is_string());
  EXPECT_EQ(filesInBlobStore(), 2);
  (void)stray;
  // A collected key cannot be sent any more.
  json refused = sendImages(*a, "g3", {gone});
  EXPECT_EQ(refused["type"], "error") << refused.dump();
}

}  // namespace
}  // namespace roomchat::test
