// The image routes outside /api/ (the built-in store's presigned PUT and
// GET /blobs/<key>), which ApiHandler dispatches itself: the PUT is checked
// from its header alone, before its body is read, and neither takes JSON.
// Both run on the work pool.
#pragma once

#include <optional>

#include "api/router.h"

namespace roomchat::api {

// GET or HEAD /blobs/<key>: the bytes for a signed-in user who may see them
// (built-in store), or a redirect to a short-lived signed GET (S3).
net::Response serveBlob(Services& s, const net::Request& request);
// GET /blobs/<key> answered from memory, on the calling (io) thread, when
// the session read the image moments ago (blob::ReadCache); nullopt: ask
// serveBlob on the work pool.
std::optional<net::Response> cachedBlob(Services& s, const net::Request& request);
// The refusal of a PUT /blobs/<key> by its header (signature, expiry), or
// nullopt when its body should be read.
std::optional<Error> screenUpload(Services& s, const net::RequestHeader& header);
// The PUT with its body: verified and stored, 201; or refused, nothing stored.
net::Response acceptUpload(Services& s, const net::Request& request);

}  // namespace roomchat::api
