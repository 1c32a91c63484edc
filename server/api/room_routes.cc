// API.md §2: rooms, favorites, invites, history and search over HTTP.
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "api/router.h"
#include "base/ids.h"
#include "proto/cursor.h"
#include "proto/server_frames.h"

namespace roomchat::api {

namespace http = net::http;
namespace asio = boost::asio;
using http::verb;

namespace {

constexpr int64_t kDefaultListLimit = 20;
constexpr int64_t kDefaultPageLimit = 25;
constexpr size_t kMaxSearchChars = 200;

// The room as `userId` may see it: 404 unknown, 403 private and not a member.
Result<model::RoomView> viewOf(Services& s, const std::string& roomId, const std::string& userId) {
  if (!isValidId(roomId)) return makeError("not_found", "no such room");
  auto room = s.meta.roomById(roomId);
  if (!room.ok()) return room.error();
  if (!*room) return makeError("not_found", "no such room");
  return accessTo(s, **room, userId);
}

Result<model::RoomView> ownedView(Services& s, Call& c) {
  auto view = viewOf(s, c.params[0], c.session->user.id);
  if (view.ok() && view->role != model::Role::kOwner)
    return makeError("forbidden", "only the owner can do this");
  return view;
}

Result<std::string> nameField(const Json& body, bool required) {
  auto raw = stringField(body, "name");
  if (!raw.ok()) return raw.error();
  if (!*raw && !required) return std::string();
  std::string name = *raw ? proto::trimText(**raw) : "";
  auto length = proto::utf8Length(name);
  if (!length || *length < 1 || *length > 64)
    return makeError("invalid_name", "name must be 1 to 64 characters");
  if (auto fault = proto::nameFault(name)) return makeError("invalid_name", "name " + *fault);
  return name;
}

Result<std::optional<model::Visibility>> visibilityField(const Json& body) {
  auto raw = stringField(body, "visibility");
  if (!raw.ok() || !*raw) return raw.ok() ? Result<std::optional<model::Visibility>>(std::nullopt)
                                          : Result<std::optional<model::Visibility>>(raw.error());
  auto v = model::parseVisibility(**raw);
  if (!v) return makeError("invalid_visibility", "visibility must be public, unlisted or private");
  return std::optional<model::Visibility>(v);
}

Result<ListParams> listParams(Call& c, int64_t defaultLimit) {
  return keysetListParams(c.query, defaultLimit);
}

// A favorite the user may no longer see (a private room they were removed
// from) is left out; any other error is the answer.
net::Response roomList(Services& s, Call& c, const store::RoomPage& page, bool withOnline) {
  Json items = Json::array();
  for (const auto& room : page.rooms) {
    auto view = accessTo(s, room, c.session->user.id);  // the row is already here
    if (!view.ok() && view.error().code == "forbidden") continue;
    if (!view.ok()) return errorResponse(view.error());
    if (withOnline) {
      auto awake = s.rooms.ifAwake(room.id);
      view->online = awake ? awake->online() : 0;
    }
    items.push_back(proto::toJson(*view));
  }
  Json next = page.hasMore && !page.keys.empty() ? Json(proto::encodeCursor(page.keys.back()))
                                                 : Json(nullptr);
  return jsonResponse(http::status::ok, Json{{"items", items}, {"nextCursor", next}});
}

net::Response createRoom(Services& s, Call& c) {
  auto body = parseJsonBody(c.request.body());
  if (!body.ok()) return errorResponse(body.error());
  auto name = nameField(*body, true);
  if (!name.ok()) return errorResponse(name.error());
  auto visibility = visibilityField(*body);
  if (!visibility.ok()) return errorResponse(visibility.error());
  if (!*visibility) return errorResponse("invalid_visibility", "visibility is required");

  const int64_t now = nowMs();
  model::Room room{randomId(), *name, **visibility, c.session->user.id, now, now};
  if (Status st = s.meta.createRoom(room, s.limits.maxRoomsPerOwner); !st.ok())
    return errorResponse(st.error());
  if (auto created = s.rooms.create(room); !created.ok()) {
    // No room row without its database. If even that fails, the row stays
    // (listed, its history answers not_found) until its owner deletes it.
    if (Status st = s.meta.deleteRoom(room.id); !st.ok())
      spdlog::error("room {}: row left without a database: {}", room.id, st.error().message);
    return errorResponse(created.error());
  }
  model::RoomView view{room, false, model::Role::kOwner, std::nullopt};
  return jsonResponse(http::status::created, Json{{"room", proto::toJson(view)}});
}

net::Response patchRoom(Services& s, Call& c) {
  auto view = ownedView(s, c);
  if (!view.ok()) return errorResponse(view.error());
  auto body = parseJsonBody(c.request.body());
  if (!body.ok()) return errorResponse(body.error());
  auto name = nameField(*body, false);
  if (!name.ok()) return errorResponse(name.error());
  auto visibility = visibilityField(*body);
  if (!visibility.ok()) return errorResponse(visibility.error());
  auto updated = s.meta.updateRoom(view->room.id,
                                   name->empty() ? std::nullopt : std::optional(*name), *visibility);
  if (!updated.ok()) return errorResponse(updated.error());
  if (auto room = s.rooms.ifAwake(updated->id))
    asio::post(room->strand(), [room, info = *updated] { room->updateInfo(info); });
  view->room = *updated;
  return jsonResponse(http::status::ok, Json{{"room", proto::toJson(*view)}});
}

net::Response deleteRoom(Services& s, Call& c) {
  auto view = ownedView(s, c);
  if (!view.ok()) return errorResponse(view.error());
  if (Status st = s.meta.deleteRoom(view->room.id); !st.ok()) return errorResponse(st.error());
  if (Status st = s.rooms.destroy(view->room.id); !st.ok()) return errorResponse(st.error());
  return noContent();
}

net::Response setFavorite(Services& s, Call& c, bool favorite) {
  auto view = viewOf(s, c.params[0], c.session->user.id);
  if (!view.ok()) return errorResponse(view.error());
  Status st = s.meta.setFavorite(view->room.id, c.session->user.id, favorite, nowMs());
  if (!st.ok()) return errorResponse(st.error());
  return noContent();
}

Json inviteJson(const store::Invite& invite) {
  return Json{{"id", invite.id},
              {"createdBy", invite.createdBy},
              {"createdAt", invite.createdAt},
              {"expiresAt", invite.expiresAt}};
}

net::Response createInvite(Services& s, Call& c) {
  auto view = ownedView(s, c);
  if (!view.ok()) return errorResponse(view.error());
  std::string token = randomToken();
  const int64_t now = nowMs();
  store::Invite invite{randomId(), view->room.id, c.session->user.id, now,
                       now + int64_t{s.limits.inviteDays} * 86400 * 1000};
  if (Status st = s.meta.createInvite(invite, sha256Hex(token)); !st.ok())
    return errorResponse(st.error());
  return jsonResponse(http::status::created,
                      Json{{"token", token},
                           {"url", s.origins.publicOrigin() + "/invite/" + token},
                           {"invite", inviteJson(invite)}});
}

// The room's live invites, for its owner (the tokens are not stored, so they
// are listed by id).
net::Response listInvites(Services& s, Call& c) {
  auto view = ownedView(s, c);
  if (!view.ok()) return errorResponse(view.error());
  auto params = listParams(c, kDefaultListLimit);
  if (!params.ok()) return errorResponse(params.error());
  auto page = s.meta.invites(view->room.id, nowMs(), params->after, params->limit);
  if (!page.ok()) return errorResponse(page.error());
  Json items = Json::array();
  for (const auto& invite : page->invites) items.push_back(inviteJson(invite));
  Json next = page->hasMore && !page->invites.empty()
                  ? Json(proto::encodeCursor({page->invites.back().createdAt,
                                              page->invites.back().id}))
                  : Json(nullptr);
  return jsonResponse(http::status::ok, Json{{"items", items}, {"nextCursor", next}});
}

net::Response revokeInvite(Services& s, Call& c) {
  auto view = ownedView(s, c);
  if (!view.ok()) return errorResponse(view.error());
  const std::string& inviteId = c.params[1];
  auto revoked = isValidId(inviteId) ? s.meta.revokeInvite(view->room.id, inviteId)
                                     : Result<bool>(false);
  if (!revoked.ok()) return errorResponse(revoked.error());
  if (!*revoked) return errorResponse("not_found", "no such invite in this room");
  return noContent();
}

// Joining and the checks (live invite, not removed since it was made) are one
// transaction in the store.
net::Response acceptInvite(Services& s, Call& c) {
  const std::string& token = c.params[0];
  if (token.size() > 128) return errorResponse("not_found", "this invite is unknown or has expired");
  const std::string& userId = c.session->user.id;
  auto room = s.meta.acceptInvite(sha256Hex(token), userId, nowMs());
  if (!room.ok()) return errorResponse(room.error());
  auto view = accessTo(s, *room, userId);
  if (!view.ok()) return errorResponse(view.error());
  return jsonResponse(http::status::ok, Json{{"room", proto::toJson(*view)}});
}

// The removal is recorded even for a user who is not a member: no invite made
// before it lets them in (see MetaStore::removeMember). Sockets are closed
// only once it is stored.
net::Response removeMember(Services& s, Call& c) {
  auto view = ownedView(s, c);
  if (!view.ok()) return errorResponse(view.error());
  const std::string& userId = c.params[1];
  if (!isValidId(userId)) return errorResponse("not_found", "no such user");
  if (userId == view->room.ownerId)
    return errorResponse("bad_request", "the owner cannot be removed");
  auto removed = s.meta.removeMember(view->room.id, userId, nowMs());
  if (!removed.ok()) return errorResponse(removed.error());
  if (auto room = s.rooms.ifAwake(view->room.id))
    asio::post(room->strand(), [room, userId] {
      room->removeUser(userId, room::kCloseRemoved, "removed from the room");
    });
  return noContent();
}

Result<std::shared_ptr<room::Room>> wake(Services& s, const model::RoomView& view,
                                         const room::OnWake& onWake = {}) {
  return s.rooms.acquire(view.room, onWake);
}

Json messagesJson(const std::vector<model::Message>& messages) {
  Json items = Json::array();
  for (const auto& m : messages) items.push_back(proto::toJson(m));
  return items;
}

net::Response messages(Services& s, Call& c) {
  auto view = viewOf(s, c.params[0], c.session->user.id);
  if (!view.ok()) return errorResponse(view.error());
  auto before = intParam(c.query, "before", 1, INT64_MAX);
  if (!before.ok()) return errorResponse(before.error());
  auto limit = intParam(c.query, "limit", 1, 100);
  if (!limit.ok()) return errorResponse(limit.error());
  const int64_t beforeSeq = before->value_or(0);
  const int pageLimit = static_cast<int>(limit->value_or(kDefaultPageLimit));
  // A cold room is read on the connection that wakes it; an awake one on its
  // read connection, from this pool thread, while the strand keeps committing.
  std::optional<Result<store::MessagePage>> readAtWake;
  auto room = wake(s, *view, [&](const store::RoomStore& db) {
    readAtWake.emplace(db.before(beforeSeq, pageLimit));
  });
  if (!room.ok()) return errorResponse(room.error());
  auto page = readAtWake ? std::move(*readAtWake) : (*room)->history(beforeSeq, pageLimit);
  if (!page.ok()) return errorResponse(page.error());
  return jsonResponse(http::status::ok,
                      Json{{"items", messagesJson(page->messages)}, {"hasMore", page->hasMore}});
}

net::Response search(Services& s, Call& c) {
  auto view = viewOf(s, c.params[0], c.session->user.id);
  if (!view.ok()) return errorResponse(view.error());
  std::string q = proto::trimText(c.query.count("q") ? c.query["q"] : "");
  auto length = proto::utf8Length(q);
  if (!length || *length < 1 || *length > kMaxSearchChars)
    return errorResponse("invalid_q", "q must be 1 to 200 characters");
  auto limit = intParam(c.query, "limit", 1, 100);
  if (!limit.ok()) return errorResponse(limit.error());
  int64_t beforeSeq = 0;
  if (auto it = c.query.find("cursor"); it != c.query.end() && !it->second.empty()) {
    auto seq = proto::decodeSeqCursor(it->second);
    if (!seq) return errorResponse("invalid_cursor", "the cursor is not valid");
    beforeSeq = *seq;
  }
  auto room = wake(s, *view);
  if (!room.ok()) return errorResponse(room.error());
  const int pageLimit = static_cast<int>(limit->value_or(kDefaultPageLimit));
  auto page = (*room)->search(q, beforeSeq, pageLimit);
  if (!page.ok()) return errorResponse(page.error());
  Json next = page->hasMore && !page->messages.empty()
                  ? Json(proto::encodeSeqCursor(page->messages.back().seq))
                  : Json(nullptr);
  return jsonResponse(http::status::ok,
                      Json{{"items", messagesJson(page->messages)}, {"nextCursor", next}});
}

template <class Lister>
net::Response list(Services& s, Call& c, Lister lister, bool withOnline = false) {
  auto params = listParams(c, kDefaultListLimit);
  if (!params.ok()) return errorResponse(params.error());
  Result<store::RoomPage> page = lister(*params);
  if (!page.ok()) return errorResponse(page.error());
  return roomList(s, c, *page, withOnline);
}

}  // namespace

void addRoomRoutes(Router& r, Services& s) {
  r.add(verb::post, "/api/rooms", [&s](Call& c) { return createRoom(s, c); });
  r.add(verb::get, "/api/rooms/mine", [&s](Call& c) {
    return list(s, c, [&](const ListParams& p) {
      return s.meta.roomsOfUser(c.session->user.id, p.after, p.limit);
    });
  });
  r.add(verb::get, "/api/rooms/public", [&s](Call& c) {
    return list(s, c, [&](const ListParams& p) { return s.meta.publicRooms(p.after, p.limit); },
                true);
  });
  r.add(verb::get, "/api/rooms/favorites", [&s](Call& c) {
    return list(s, c, [&](const ListParams& p) {
      return s.meta.favoriteRooms(c.session->user.id, p.after, p.limit);
    });
  });
  r.add(verb::get, "/api/rooms/:id", [&s](Call& c) {
    auto view = viewOf(s, c.params[0], c.session->user.id);
    if (!view.ok()) return errorResponse(view.error());
    return jsonResponse(http::status::ok, Json{{"room", proto::toJson(*view)}});
  });
  r.add(verb::patch, "/api/rooms/:id", [&s](Call& c) { return patchRoom(s, c); });
  r.add(verb::delete_, "/api/rooms/:id", [&s](Call& c) { return deleteRoom(s, c); });
  r.add(verb::put, "/api/rooms/:id/favorite", [&s](Call& c) { return setFavorite(s, c, true); });
  r.add(verb::delete_, "/api/rooms/:id/favorite",
        [&s](Call& c) { return setFavorite(s, c, false); });
  r.add(verb::post, "/api/rooms/:id/invites", [&s](Call& c) { return createInvite(s, c); });
  r.add(verb::get, "/api/rooms/:id/invites", [&s](Call& c) { return listInvites(s, c); });
  r.add(verb::delete_, "/api/rooms/:id/invites/:inviteId",
        [&s](Call& c) { return revokeInvite(s, c); });
  r.add(verb::post, "/api/invites/:token/accept", [&s](Call& c) { return acceptInvite(s, c); });
  r.add(verb::delete_, "/api/rooms/:id/members/:userId",
        [&s](Call& c) { return removeMember(s, c); });
  r.add(verb::get, "/api/rooms/:id/messages", [&s](Call& c) { return messages(s, c); });
  r.add(verb::get, "/api/rooms/:id/search", [&s](Call& c) { return search(s, c); });
}

}  // namespace roomchat::api
