// AWS Signature Version 4: the canonical request, the string to sign, the
// derived signing key and the signature, as S3-compatible stores check them
// (header auth for the server's own calls, query presigning for the browser's
// uploads and reads). The built-in store uses the same scheme with its own
// secret, so one verifier serves both.
//
// Pure functions over strings: no clock, no I/O, safe from any thread. Every
// step is exposed so the tests can compare each against AWS's published
// suite (server/blob/testdata/sigv4-suite.json).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roomchat::blob::sigv4 {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Scope {
  std::string date;     // YYYYMMDD
  std::string region;   // "us-east-1"
  std::string service;  // "s3"
  std::string str() const { return date + "/" + region + "/" + service + "/aws4_request"; }
};

struct Credentials {
  std::string accessKey;
  std::string secretKey;
};

// A request as it is signed: `path` as sent on the wire (already
// percent-encoded), `query` and `headers` decoded, in any order (duplicates
// keep their order), `payloadHash` the hex SHA-256 of the body or
// "UNSIGNED-PAYLOAD".
struct Request {
  std::string method;
  std::string path;
  Pairs query;
  Pairs headers;
  std::string payloadHash;
};

// RFC 3986 unreserved characters stay, everything else is %XX (uppercase);
// '/' stays when `keepSlash`.
std::string uriEncode(std::string_view s, bool keepSlash = false);
// "a=1&b=%20" → decoded pairs; a malformed escape is kept as written.
Pairs parseQuery(std::string_view query);
std::string hexSha256(std::string_view data);

// `normalizePath` removes "." and ".." segments and repeated slashes, as
// every AWS service but S3 does (S3 signs the path exactly as sent).
std::string canonicalRequest(const Request& r, bool normalizePath);
// "host;x-amz-date": the lowercase names of r.headers, sorted, unique.
std::string signedHeaderNames(const Request& r);
std::string stringToSign(std::string_view amzDate, const Scope& scope,
                         std::string_view canonicalRequest);
// Hex HMAC-SHA256 of `stringToSign` under the key derived from the secret.
std::string signature(std::string_view secretKey, const Scope& scope,
                      std::string_view stringToSign);
// The Authorization header value for `r` (which must hold x-amz-date or date).
std::string authorization(const Credentials& c, const Scope& scope, std::string_view amzDate,
                          const Request& r, bool normalizePath = false);

// Query presigning (S3): adds X-Amz-Algorithm, -Credential, -Date, -Expires,
// -SignedHeaders (the names of r.headers) and -Signature to r.query. Answers
// the query string to append after '?'. `r.payloadHash` is usually
// "UNSIGNED-PAYLOAD".
std::string presign(const Credentials& c, const Scope& scope, std::string_view amzDate,
                    int expiresSeconds, Request r);

// "20150830T123600Z" for a Unix time in seconds, and back (-1 when malformed).
std::string amzDate(long long unixSeconds);
long long parseAmzDate(std::string_view amzDate);

}  // namespace roomchat::blob::sigv4
