#include "net/static_files.h"

#include <boost/beast/http/file_body.hpp>

namespace roomchat::net {

namespace fs = std::filesystem;

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isInside(const fs::path& root, const fs::path& file) {
  auto r = root.begin();
  auto f = file.begin();
  for (; r != root.end(); ++r, ++f) {
    if (f == file.end() || *r != *f) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> decodePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      if (i + 2 >= path.size()) return std::nullopt;
      int hi = hexValue(path[i + 1]), lo = hexValue(path[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::string_view contentTypeFor(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "application/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".webmanifest") return "application/manifest+json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".webp") return "image/webp";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".wasm") return "application/wasm";
  return "application/octet-stream";
}

// Never throws: an unusable folder (empty path, no working directory) leaves
// root_ empty and the server answers 404 for files instead of not starting.
StaticFiles::StaticFiles(fs::path root) {
  std::error_code ec;
  fs::path absolute = fs::absolute(root, ec);
  if (ec) return;
  root_ = fs::weakly_canonical(absolute, ec);
  if (ec) root_.clear();
}

std::optional<fs::path> StaticFiles::resolve(std::string_view target) const {
  // Without a root every path would count as "inside" it (and be relative to
  // the working directory): serve nothing.
  if (root_.empty()) return std::nullopt;
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  auto decoded = decodePath(path);
  if (!decoded || decoded->empty() || decoded->front() != '/') return std::nullopt;
  if (decoded->find('\\') != std::string::npos) return std::nullopt;
  fs::path relative = fs::path(decoded->substr(1)).lexically_normal();
  for (const auto& part : relative)
    if (part == "..") return std::nullopt;

  std::error_code ec;
  fs::path file = relative.empty() ? root_ / "index.html" : root_ / relative;
  if (!relative.has_extension()) file = root_ / "index.html";  // a client route
  fs::path real = fs::canonical(file, ec);
  if (ec || !isInside(root_, real) || !fs::is_regular_file(real, ec)) return std::nullopt;
  return real;
}

std::optional<Reply> StaticFiles::serve(const Request& request,
                                        const Headers& documentHeaders) const {
  if (root_.empty()) return std::nullopt;
  auto file = resolve(request.target());
  if (!file) return std::nullopt;

  http::file_body::value_type body;
  boost::beast::error_code ec;
  body.open(file->c_str(), boost::beast::file_mode::scan, ec);
  if (ec) return std::nullopt;

  const bool immutable = file->parent_path().filename() == "assets";
  const auto size = body.size();
  http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                      std::make_tuple(http::status::ok, request.version())};
  res.set(http::field::content_type, contentTypeFor(*file));
  res.set(http::field::cache_control,
          immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  if (file->extension() == ".html")
    for (const auto& [name, value] : documentHeaders) res.set(name, value);
  res.content_length(size);
  res.keep_alive(request.keep_alive());
  if (request.method() == http::verb::head) {
    http::response<http::empty_body> head{http::status::ok, request.version()};
    head.base() = res.base();
    head.content_length(size);
    return Reply(std::move(head));
  }
  return Reply(std::move(res));
}

}  // namespace roomchat::net
