// StaticFiles serves a built single-page web client from one folder: files by
// path, and index.html for client routes (paths without a file extension).
// Paths are resolved strictly inside the folder: "..", encoded traversal,
// backslashes and NUL bytes are refused, and symlinks leading outside are not
// followed. Hashed build assets are cached forever; index.html never is.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/http.h"

namespace roomchat::net {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);

  using Headers = std::vector<std::pair<std::string, std::string>>;

  // A response for GET/HEAD `target`, or nullopt when nothing matches (the
  // caller answers 404). Every file is sent with nosniff; an HTML document
  // also with `documentHeaders` (the application's security policy).
  std::optional<Reply> serve(const Request& request, const Headers& documentHeaders = {}) const;

  // The file serve() would send for `target` (a request target, query and
  // fragment ignored): a canonical path of a regular file inside root(), or
  // nullopt. Public so tests and the fuzzer can check that promise directly.
  std::optional<std::filesystem::path> resolve(std::string_view target) const;

  // The canonical folder files are served from (empty when it was unusable).
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// "text/html; charset=utf-8", "application/javascript", ... by extension.
std::string_view contentTypeFor(const std::filesystem::path& file);

// Percent-decodes a URL path; nullopt on malformed escapes or NUL bytes.
std::optional<std::string> decodePath(std::string_view path);

}  // namespace roomchat::net
