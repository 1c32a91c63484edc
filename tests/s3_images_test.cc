// Images through a real S3 server: Ceph's radosgw from Debian, started for
// this suite by scripts/services/radosgw.sh (a throw-away single-node
// cluster, ~5-12 s) and stopped by PID at its end. One scenario, so the
// cluster starts once: the server hands out presigned PUTs to the bucket, the
// store itself refuses a tampered URL and bytes that are not the signed
// ones, a stored image is not uploaded twice, a message names it, and a read
// is a redirect to a signed GET of the private object.
#include <cstdlib>
#include <fstream>
#include <map>

#include "base/ids.h"
#include "support/fixture.h"

namespace roomchat::test {
namespace {

const std::string kScript = std::string(ROOMCHAT_SOURCE_DIR) + "/scripts/services/radosgw.sh";

struct Url {
  int port = 0;
  std::string target;  // path and query
};

// "http://127.0.0.1:7480/bucket/key?q" → {7480, "/bucket/key?q"}
Url splitUrl(const std::string& url) {
  const size_t host = url.find("://") + 3, path = url.find('/', host);
  const size_t colon = url.find(':', host);
  return {std::stoi(url.substr(colon + 1, path - colon - 1)), url.substr(path)};
}

class ImagesOnS3 : public ServerTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("roomchat-rgw-" + std::to_string(::getpid()));
    const std::string cmd = kScript + " start " + dir_.string() + " > " + dir_.string() +
                            ".log 2>&1";
    started_ = std::system(cmd.c_str()) == 0;
    std::ifstream in(dir_ / "env");
    for (std::string line; std::getline(in, line);)
      if (size_t eq = line.find('='); eq != std::string::npos)
        env_[line.substr(0, eq)] = line.substr(eq + 1);
  }
  static void TearDownTestSuite() {
    std::system((kScript + " stop " + dir_.string() + " --clean > /dev/null 2>&1").c_str());
  }

  void SetUp() override {
    ASSERT_TRUE(started_) << "radosgw did not start (install it with ROOMCHAT_S3_DEPS=1 "
                             "scripts/install-deps.sh); its log: " << dir_.string() << ".log";
    ServerTest::SetUp();
  }

  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--blob-store", "s3", "--s3-endpoint", env_["ROOMCHAT_S3_ENDPOINT"],
                             "--s3-region", env_["ROOMCHAT_S3_REGION"], "--s3-bucket",
                             env_["ROOMCHAT_S3_BUCKET"], "--s3-access-key",
                             env_["ROOMCHAT_S3_ACCESS_KEY"], "--s3-secret-key-file",
                             (dir_ / "secret").string(), "--blob-gc-interval-seconds", "0"});
    return args;
  }

  json ticketFor(TestUser& u, const std::string& bytes) {
    auto r = u.http.post("/api/uploads", {{"files", {{{"sha256", sha256Hex(bytes)},
                                                      {"size", bytes.size()},
                                                      {"contentType", "image/png"}}}}});
    EXPECT_EQ(r.status, 200) << r.describe();
    return r.json["items"][0];
  }

  // The PUT a browser makes: the ticket's URL and headers, and the bytes.
  HttpResponse browserPut(const std::string& url, const json& headers, const std::string& bytes) {
    Url u = splitUrl(url);
    Headers extra;
    for (auto it = headers.begin(); it != headers.end(); ++it)
      if (it.key() != "Content-Type") extra.emplace_back(it.key(), it.value());
    HttpClient store(u.port);
    store.setOrigin(std::nullopt);
    return store.request("PUT", u.target, bytes, extra, headers.value("Content-Type", ""));
  }

  static inline std::filesystem::path dir_;
  static inline bool started_ = false;
  static inline std::map<std::string, std::string> env_;
};

TEST_F(ImagesOnS3, UploadsGoStraightToTheStoreWhichRefusesWhatWasNotSigned) {
  TestUser ann = newUser(), bob = newUser();
  const std::string bytes = std::string("\x89PNG\r\n\x1a\n", 8) + "an image kept in radosgw";
  json t = ticketFor(ann, bytes);
  ASSERT_TRUE(t["url"].is_string()) << t.dump();
  const std::string url = t["url"];
  EXPECT_EQ(url.rfind(env_["ROOMCHAT_S3_ENDPOINT"] + "/" + env_["ROOMCHAT_S3_BUCKET"] + "/" +
                          sha256Hex(bytes) + "?",
                      0), 0u) << url;
  EXPECT_EQ(t["headers"]["x-amz-content-sha256"], sha256Hex(bytes));

  std::string tampered = url;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  auto r = browserPut(tampered, t["headers"], bytes);
  EXPECT_EQ(r.status, 403) << "the store checks the signature: " << r.describe();
  std::string other = bytes;
  other.back() ^= 1;  // same length, other bytes
  r = browserPut(url, t["headers"], other);
  EXPECT_EQ(r.status, 400) << "the store checks the signed hash: " << r.describe();
  EXPECT_NE(r.body.find("XAmzContentSHA256Mismatch"), std::string::npos) << r.body;
  EXPECT_TRUE(ticketFor(ann, bytes)["url"].is_string()) << "nothing was stored by the refusals";

  r = browserPut(url, t["headers"], bytes);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(ticketFor(bob, bytes)["url"].is_null()) << "stored once: no second upload";

  std::string roomId = createRoom(ann, "s3 pics")["id"];
  Joined a = join(ann, roomId);
  a->send({{"type", "send"}, {"clientId", "s1"}, {"kind", "image"}, {"images", {t["key"]}}});
  json ack = a->expect("ack");
  EXPECT_EQ(ack["message"]["images"][0], t["key"]) << ack.dump();
  a->send({{"type", "send"}, {"clientId", "s2"}, {"kind", "image"},
           {"images", {sha256Hex("never uploaded")}}});
  EXPECT_EQ(a->expect("error")["code"], "not_found");

  auto read = bob.http.get("/blobs/" + t["key"].get<std::string>());
  ASSERT_EQ(read.status, 302) << read.describe();
  Url signedGet = splitUrl(read.header("Location"));
  auto object = HttpClient(signedGet.port).get(signedGet.target);
  EXPECT_EQ(object.status, 200) << object.describe();
  EXPECT_EQ(object.body, bytes);
  Url plain = splitUrl(read.header("Location").substr(0, read.header("Location").find('?')));
  EXPECT_EQ(HttpClient(plain.port).get(plain.target).status, 403) << "the object is private";
}

}  // namespace
}  // namespace roomchat::test
