// Services are what the API routes work with: the stores, the room directory,
// the connection registry, the guards and the limits. Built once by app/ and
// shared by reference; every member is safe to use from the work pool.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "api/connection_registry.h"
#include "auth/oidc.h"
#include "auth/password.h"
#include "auth/rate_limiter.h"
#include "auth/web_security.h"
#include "blob/blob_service.h"
#include "blob/s3_blob_store.h"
#include "preview/preview_service.h"
#include "proto/client_frames.h"
#include "room/directory.h"
#include "store/meta_store.h"

namespace roomchat::api {

struct ApiLimits {
  int maxRoomsPerOwner = 50;
  int maxConnectionsPerUser = 20;
  double connectPerMinute = 60;  // room socket upgrades per user
  double connectBurst = 30;
  double messageRate = 10;
  double messageBurst = 30;
  int sessionDays = 30;
  int inviteDays = 7;
  proto::Limits frames;
};

struct Services {
  store::MetaStore& meta;
  room::RoomDirectory& rooms;
  blob::BlobService& blobs;
  ConnectionRegistry& connections;
  boost::asio::thread_pool& work;
  preview::PreviewService& preview;
  auth::OidcService& oidc;
  auth::OriginPolicy origins;
  auth::PasswordCost passwordCost;
  auth::KeyedRateLimiter loginPerUser;
  auth::KeyedRateLimiter loginPerIp;
  auth::KeyedRateLimiter signupPerIp;
  ApiLimits limits;
  std::string webDir;
};

}  // namespace roomchat::api
