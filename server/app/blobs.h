// The image store the configuration names, built for `serve` and for
// `roomchat blobs gc`: the built-in store under <data>/blobs/ (its URL
// signing key kept in <data>/blob-signing.key, made on first start) or an
// S3-compatible bucket (its secret from a file or ROOMCHAT_S3_SECRET_KEY).
#pragma once

#include <memory>

#include "app/config.h"
#include "base/result.h"
#include "blob/blob_service.h"

namespace roomchat::app {

struct BlobParts {
  std::unique_ptr<blob::BlobStore> store;
  blob::LocalBlobStore* local = nullptr;  // store.get() for the built-in store
};

Result<BlobParts> openBlobStore(const Config& config);
blob::BlobLimits blobLimits(const Config& config);
// The collector's question to a room, answered from the room's file.
blob::BlobService::RoomHoldsKey roomHoldsKey(const Config& config);

}  // namespace roomchat::app
