// Fuzzes what the server does with the bytes of an HTTP connection before any
// route runs: Beast's request parser, driven like HttpSession drives it
// (16 KiB header limit, header first, then the body under the API's 64 KiB
// limit unless it is a WebSocket upgrade, keep-alive requests in sequence),
// and then our own parsing of each request: the path (net::decodePath), the
// query (api::parseQuery, api::intParam), static-file resolution, the session
// cookie and the Origin check. Promises checked:
//  - nothing crashes, throws, leaks or trips ASan/UBSan;
//  - the same bytes give the same requests whether they arrive at once or in
//    small TCP-like pieces, except where Beast's header limit itself depends
//    on the pieces (see sameRequests);
//  - decoded paths and query pairs hold no NUL (the malformed-escape marker
//    "\0" aside), and intParam answers only values within its range;
//  - a resolved static file is one of the regular files inside the web root:
//    never the secret next to it, never through a symlink leading out.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "api/http_util.h"
#include "auth/web_security.h"
#include "check.h"
#include "net/static_files.h"

namespace {

using namespace roomchat;
namespace fs = std::filesystem;
namespace http = boost::beast::http;
using boost::beast::error_code;

constexpr uint32_t kHeaderLimit = 16 * 1024;  // net::ServerLimits::headerBytes
constexpr uint64_t kBodyLimit = 64 * 1024;    // ApiHandler::bodyLimit
constexpr size_t kMaxRequests = 8;            // keep-alive requests per input

// ---- A web root with traps around it ------------------------------------------

struct WebRoot {
  fs::path base;
  fs::path root;
  std::set<std::string> servable;  // canonical paths resolve() may answer
  std::optional<net::StaticFiles> files;
};

void write(const fs::path& p, std::string_view text) { std::ofstream(p) << text; }

// base/web is the root; base/secret.txt, base/web-evil/ (a sibling whose name
// starts like the root's) and symlinks out of the root are what must never
// be served. Made in $TMPDIR (scripts/fuzz.sh points it into the build dir)
// and removed at exit; a crash leaves it behind.
WebRoot& webRoot() {
  static WebRoot w = [] {
    WebRoot w;
    std::string tmpl = (fs::temp_directory_path() / "roomchat-fuzz-XXXXXX").string();
    FUZZ_CHECK(mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    w.base = tmpl;
    w.root = w.base / "web";
    fs::create_directories(w.root / "assets");
    fs::create_directories(w.root / "sub" / "deeper");
    fs::create_directories(w.base / "web-evil");
    write(w.root / "index.html", "<html>app</html>");
    write(w.root / "favicon.ico", "ico");
    write(w.root / "assets" / "app-1234.js", "js");
    write(w.root / "sub" / "page.txt", "page");
    write(w.root / "sub" / "deeper" / "a b.css", "css");
    write(w.base / "secret.txt", "secret");
    write(w.base / "web-evil" / "x.txt", "evil");
    fs::create_symlink(w.base / "secret.txt", w.root / "link.txt");
    fs::create_symlink("..", w.root / "up");
    fs::create_symlink(w.base / "web-evil", w.root / "evil");
    fs::create_symlink("sub/page.txt", w.root / "alias.txt");  // inside: allowed
    for (const char* f : {"index.html", "favicon.ico", "assets/app-1234.js", "sub/page.txt",
                          "sub/deeper/a b.css"})
      w.servable.insert((fs::canonical(w.root) / f).string());
    w.files.emplace(w.root);
    return w;
  }();
  return w;
}

// ---- Reading requests like HttpSession ----------------------------------------

struct Parsed {
  std::string method, target, body;
  unsigned version = 0;
  size_t headerBytes = 0;  // request line, fields and the blank line
  std::vector<std::pair<std::string, std::string>> fields;
  bool upgrade = false;
  bool keepAlive = false;
  bool operator==(const Parsed&) const = default;
};

// The input as a stream that hands out at most `chunk` new bytes per read.
class Stream {
 public:
  Stream(std::string_view data, size_t chunk) : data_(data), chunk_(chunk) {}

  // Feeds the parser until `done()` or an error, like one async_read*.
  template <class Parser, class Done>
  error_code feed(Parser& parser, Done done) {
    for (size_t spins = 0; !done(); ++spins) {
      FUZZ_CHECK(spins < 4 * data_.size() + 64, "parser makes no progress");
      if (used_ == avail_ && !more()) return eof(parser);
      error_code ec;
      used_ += parser.put(boost::asio::buffer(data_.data() + used_, avail_ - used_), ec);
      if (ec == http::error::need_more) {
        if (!more()) return eof(parser);
      } else if (ec) {
        return ec;
      }
    }
    return {};
  }

  bool exhausted() const { return used_ == data_.size(); }
  size_t used() const { return used_; }

 private:
  bool more() {
    if (avail_ == data_.size()) return false;
    avail_ = std::min(data_.size(), avail_ + chunk_);
    return true;
  }
  template <class Parser>
  error_code eof(Parser& parser) {  // Beast's read_some on a closed stream
    error_code ec;
    if (parser.got_some()) parser.put_eof(ec);
    else ec = http::error::end_of_stream;
    return ec ? ec : error_code(http::error::partial_message);
  }

  std::string_view data_;
  size_t chunk_;
  size_t used_ = 0;
  size_t avail_ = 0;
};

std::vector<Parsed> readRequests(std::string_view data, size_t chunk) {
  std::vector<Parsed> out;
  Stream stream(data, chunk);
  while (out.size() < kMaxRequests && !stream.exhausted()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(boost::none);
    parser.eager(false);
    const size_t start = stream.used();
    if (stream.feed(parser, [&] { return parser.is_header_done(); })) break;
    Parsed p;
    p.headerBytes = stream.used() - start;  // eager(false) stops at the header's end
    // Beast 1.81 bounds the request line and the fields by the limit each.
    FUZZ_CHECK(p.headerBytes <= 2 * size_t{kHeaderLimit}, "header over twice the limit");
    p.upgrade = boost::beast::websocket::is_upgrade(parser.get());
    // HttpSession answers any Transfer-Encoding (411 chunked, 501 others) and closes.
    if (parser.get().count(http::field::transfer_encoding) != 0) break;
    if (!p.upgrade) {  // an upgrade's body is never read
      if (parser.content_length() && *parser.content_length() > kBodyLimit) break;
      parser.body_limit(kBodyLimit);
      parser.eager(true);
      if (stream.feed(parser, [&] { return parser.is_done(); })) break;
    }
    const auto& req = parser.get();
    p.method = std::string(req.method_string());
    p.target = std::string(req.target());
    p.version = req.version();
    p.body = req.body();
    p.keepAlive = req.keep_alive();
    for (const auto& field : req)
      p.fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
    FUZZ_CHECK(p.body.size() <= kBodyLimit, "body over the limit");
    out.push_back(std::move(p));
    if (out.back().upgrade || !out.back().keepAlive) break;
  }
  return out;
}

// ---- Our parsing of one request ------------------------------------------------

void checkIntParam(const std::map<std::string, std::string>& query, const std::string& name,
                   int64_t min, int64_t max) {
  auto r = api::intParam(query, name, min, max);
  auto it = query.find(name);
  if (!r.ok()) {
    FUZZ_CHECK(it != query.end(), "intParam failed on an absent parameter");
    FUZZ_CHECK(r.error().code == "invalid_" + name, "intParam error code");
    return;
  }
  FUZZ_CHECK(r->has_value() == (it != query.end()), "intParam presence");
  if (*r) {
    FUZZ_CHECK(**r >= min && **r <= max, "intParam out of range");
    FUZZ_CHECK(it->second.find('\0') == std::string::npos, "intParam accepted the marker");
  }
}

void checkQuery(std::string_view query) {
  std::map<std::string, std::string> pairs = api::parseQuery(query);
  for (const auto& [key, value] : pairs) {
    FUZZ_CHECK(key.find('\0') == std::string::npos, "query key holds NUL");
    FUZZ_CHECK(value == std::string(1, '\0') || value.find('\0') == std::string::npos,
               "query value holds NUL");
    FUZZ_CHECK(key.size() <= query.size() && value.size() <= query.size(), "query grew");
  }
  checkIntParam(pairs, "limit", 1, 100);
  checkIntParam(pairs, "before", 1, INT64_MAX);
  checkIntParam(pairs, "n", INT64_MIN, INT64_MAX);
  checkIntParam(pairs, "tab", 0, 0);
}

void checkStaticFile(std::string_view target) {
  WebRoot& w = webRoot();
  std::optional<fs::path> file = w.files->resolve(target);
  if (!file) return;
  FUZZ_CHECK(w.servable.count(file->string()) == 1, file->c_str());
}

void checkRequest(const Parsed& p) {
  std::string_view target = p.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (std::optional<std::string> decoded = net::decodePath(path)) {
    FUZZ_CHECK(decoded->find('\0') == std::string::npos, "decoded path holds NUL");
    FUZZ_CHECK(decoded->size() <= path.size(), "decoded path grew");
    if (path.find('%') == std::string_view::npos) FUZZ_CHECK(*decoded == path, "path changed");
  } else {
    FUZZ_CHECK(path.find('%') != std::string_view::npos, "plain path refused");
  }
  checkQuery(q == std::string_view::npos ? std::string_view{} : target.substr(q + 1));
  checkStaticFile(target);

  static const auth::OriginPolicy origins("http://127.0.0.1:8080", {"https://chat.example"});
  for (const auto& [name, value] : p.fields) {
    if (boost::beast::iequals(name, "Cookie")) {
      if (auto token = auth::cookieValue(value, auth::kSessionCookie))
        FUZZ_CHECK(token->size() <= value.size(), "cookie value grew");
    } else if (boost::beast::iequals(name, "Origin")) {
      (void)origins.allows(value);
      if (auto origin = auth::normalizeOrigin(value))
        FUZZ_CHECK(auth::normalizeOrigin(*origin) == origin, "normalizeOrigin not idempotent");
    }
  }
}

// Beast 1.81 applies header_limit to the whole header only while the request
// line is incomplete; once a read has delivered the whole request line, the
// limit counts the fields alone. So a header between 16 KiB and 16 KiB plus
// its request line is accepted in one read and refused (431) in pieces.
// Where the two sequences part, that must be the only reason.
bool sameRequests(const std::vector<Parsed>& a, const std::vector<Parsed>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) return true;
  if (i < a.size() && i < b.size()) return false;  // both parsed it, differently
  const Parsed& extra = i < a.size() ? a[i] : b[i];
  return extra.headerBytes > kHeaderLimit;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Before the first input, so setup is not charged to it. The cleanup runs
  // after static destructors, so it gets its own copy of the path, never freed.
  static const std::string* base = new std::string(webRoot().base.string());
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(*base, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<Parsed> requests = readRequests(input, input.size() + 1);
  // TCP may cut the bytes anywhere: the outcome must not depend on where.
  std::vector<Parsed> pieces = readRequests(input, 1 + size % 13);
  FUZZ_CHECK(sameRequests(requests, pieces), "request depends on how the bytes arrive");
  for (const Parsed& p : requests) checkRequest(p);
  return 0;
}
