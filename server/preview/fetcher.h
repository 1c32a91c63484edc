// Fetcher makes the link-preview HTTP requests, with libcurl, on the calling
// thread (the API's work pool: it blocks for up to the time budget). Every
// request gets a fresh easy handle, so no connection outlives its check.
//
// Promises, for every request and every redirect hop:
//   - the socket is opened only to an address the AddressPolicy allows,
//     checked on the address curl resolved and is about to connect to
//     (CURLOPT_OPENSOCKETFUNCTION), so DNS cannot point it elsewhere;
//     otherwise Error{"forbidden_target"};
//   - redirects are followed here, not by curl: at most maxRedirects, each
//     Location resolved against the current URL and put through checkUrl
//     (a target that fails it is "forbidden_target" too), and only http and
//     https are spoken at all;
//   - at most maxBodyBytes of a body are read: past them the transfer is cut
//     from the write callback, the rest is never read, and the response is
//     returned with `truncated` set;
//   - all requests made with one Deadline together end within its budget
//     (each hop gets what is left as its CURLOPT_TIMEOUT_MS);
//   - no proxy from the environment, no cookies, no compression.
// Other failures: Error{"too_many_redirects"}, {"timeout"}, {"upstream_failed"}.
// A response of any status is a success here; the caller judges it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "preview/address_policy.h"

namespace roomchat::preview {

struct FetchOptions {
  std::chrono::milliseconds totalTime{5000};  // every request of one preview together
  std::chrono::milliseconds connectTime{3000};
  size_t maxBodyBytes = 1 << 20;
  int maxRedirects = 5;
  bool allowLoopback = false;  // tests only: lets 127/8 and ::1 through
  std::string userAgent = "roomchat-link-preview/1.0 (+https://github.com/roomchat/roomchat)";
  // Test hook: CURLOPT_RESOLVE entries, "host:port:address", which answer
  // those names without DNS (the address is still checked on connect).
  std::vector<std::string> resolve;
};

class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget)
      : end_(std::chrono::steady_clock::now() + budget) {}
  // Whole milliseconds left; 0 when spent.
  long remainingMs() const;

 private:
  std::chrono::steady_clock::time_point end_;
};

enum class Method { kHead, kGet };

struct FetchResponse {
  long status = 0;
  std::string finalUrl;     // after redirects
  std::string contentType;  // lower-case media type without parameters; "" when none
  std::string body;         // at most maxBodyBytes; empty for a HEAD
  bool truncated = false;   // the body went on past maxBodyBytes and was cut
};

class Fetcher {
 public:
  explicit Fetcher(FetchOptions options);

  // REQUIRES: url passed checkUrl.
  Result<FetchResponse> fetch(Method method, const std::string& url, const Deadline& deadline) const;
  const FetchOptions& options() const { return options_; }

 private:
  struct Hop;
  Result<Hop> request(Method method, const std::string& url, const Deadline& deadline) const;

  FetchOptions options_;
  AddressPolicy policy_;
};

}  // namespace roomchat::preview
