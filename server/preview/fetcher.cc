#include "preview/fetcher.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "preview/url_check.h"

namespace roomchat::preview {
namespace {

void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyFree {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyFree>;
using Slist = std::unique_ptr<curl_slist, SlistFree>;

bool isRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string lowerTrimmed(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  s = s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trimmed(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// Where the socket check records what it refused, for the error.
struct SocketGate {
  const AddressPolicy* policy;
  bool refused = false;
};

// Called by curl for every connection it opens, with the resolved address.
curl_socket_t openSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
  auto* gate = static_cast<SocketGate*>(clientp);
  auto ip = IpAddress::fromSockaddr(&address->addr);
  if (purpose != CURLSOCKTYPE_IPCXN || !ip || !gate->policy->allows(*ip)) {
    gate->refused = true;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// One hop's response as the callbacks see it.
struct Sink {
  Sink(CURL* h, size_t bodyCap) : handle(h), cap(bodyCap) {}
  CURL* handle;
  size_t cap;
  long status = 0;
  std::string contentType;
  std::string location;
  std::string body;
  bool truncated = false;
  bool redirectCut = false;
};

size_t onHeader(char* data, size_t size, size_t count, void* userp) {
  auto* sink = static_cast<Sink*>(userp);
  const std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a 1xx): start over
    sink->contentType.clear();
    sink->location.clear();
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  const std::string name = lowerTrimmed(line.substr(0, colon));
  const std::string_view value = trimmed(line.substr(colon + 1));
  if (name == "content-type") sink->contentType = lowerTrimmed(value.substr(0, value.find(';')));
  if (name == "location") sink->location = std::string(value);
  return line.size();
}

size_t onBody(char* data, size_t size, size_t count, void* userp) {
  auto* sink = static_cast<Sink*>(userp);
  const size_t bytes = size * count;
  curl_easy_getinfo(sink->handle, CURLINFO_RESPONSE_CODE, &sink->status);
  if (isRedirect(sink->status) && !sink->location.empty()) {
    sink->redirectCut = true;  // a redirect's body is never needed
    return 0;
  }
  const size_t room = sink->cap - sink->body.size();
  sink->body.append(data, std::min(bytes, room));
  if (bytes <= room) return bytes;
  sink->truncated = true;
  return 0;  // cuts the transfer (CURLE_WRITE_ERROR): the rest is never read
}

Slist makeList(const std::vector<std::string>& items) {
  curl_slist* list = nullptr;
  for (const std::string& item : items)
    if (curl_slist* grown = curl_slist_append(list, item.c_str())) list = grown;
  return Slist(list);
}

// The options every request has, whatever its method and URL.
void setFixedOptions(CURL* h) {
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // many threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // Fetcher::fetch follows, checking each hop
  curl_easy_setopt(h, CURLOPT_PROXY, "");           // never a proxy from http_proxy & co.
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &openSocket);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &onHeader);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &onBody);
}

Error transferError(CURLcode rc, const SocketGate& gate, const std::string& url) {
  // A refused socket surfaces as "could not connect"; the refusal is the news.
  if (gate.refused)
    return makeError("forbidden_target", "the address of " + url + " is not a public one");
  if (rc == CURLE_OPERATION_TIMEDOUT) return makeError("timeout", "the time budget is spent");
  return makeError("upstream_failed", curl_easy_strerror(rc));
}

// A Location resolved against the URL that sent it, if it passes checkUrl.
std::optional<std::string> redirectTarget(const std::string& from, const std::string& location) {
  auto resolved = resolveReference(from, location);
  if (!resolved) return std::nullopt;
  auto checked = checkUrl(*resolved);
  return checked.ok() ? std::optional(checked->url) : std::nullopt;
}

}  // namespace

long Deadline::remainingMs() const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      end_ - std::chrono::steady_clock::now());
  return std::max<long>(0, static_cast<long>(left.count()));
}

struct Fetcher::Hop {
  FetchResponse response;
  std::string location;  // the Location of a redirect, as sent; "" when none
};

Fetcher::Fetcher(FetchOptions options)
    : options_(std::move(options)), policy_(options_.allowLoopback) {
  initCurlOnce();
}

Result<FetchResponse> Fetcher::fetch(Method method, const std::string& url,
                                     const Deadline& deadline) const {
  std::string current = url;
  for (int redirects = 0;; ++redirects) {
    auto hop = request(method, current, deadline);
    if (!hop.ok()) return hop.error();
    if (hop->location.empty()) {
      hop->response.finalUrl = current;
      return std::move(hop->response);
    }
    if (redirects == options_.maxRedirects)
      return makeError("too_many_redirects",
                       "more than " + std::to_string(options_.maxRedirects) + " redirects");
    auto next = redirectTarget(current, hop->location);
    if (!next) return makeError("forbidden_target", "a redirect leads to a URL that is not fetched");
    current = std::move(*next);
  }
}

Result<Fetcher::Hop> Fetcher::request(Method method, const std::string& url,
                                      const Deadline& deadline) const {
  const long remaining = deadline.remainingMs();
  if (remaining <= 0) return makeError("timeout", "the time budget is spent");
  Easy easy(curl_easy_init());
  if (!easy) return makeError("upstream_failed", "cannot start a request");
  CURL* h = easy.get();
  SocketGate gate{&policy_};
  Sink sink{h, options_.maxBodyBytes};
  Slist headers = makeList(method == Method::kGet
                               ? std::vector<std::string>{"Accept: text/html,application/xhtml+xml"}
                               : std::vector<std::string>{});
  Slist resolve = makeList(options_.resolve);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, remaining);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min<long>(remaining, static_cast<long>(options_.connectTime.count())));
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.userAgent.c_str());
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &gate);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  if (method == Method::kHead) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (resolve) curl_easy_setopt(h, CURLOPT_RESOLVE, resolve.get());
  setFixedOptions(h);

  const CURLcode rc = curl_easy_perform(h);
  const bool cutByUs = rc == CURLE_WRITE_ERROR && (sink.truncated || sink.redirectCut);
  if (rc != CURLE_OK && !cutByUs) return transferError(rc, gate, url);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &sink.status);
  Hop hop;
  if (isRedirect(sink.status)) hop.location = sink.location;
  hop.response = FetchResponse{sink.status, url, std::move(sink.contentType), std::move(sink.body),
                               sink.truncated};
  return hop;
}

}  // namespace roomchat::preview
