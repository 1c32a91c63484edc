#include "room/room.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "base/ids.h"
#include "base/metrics.h"
#include "proto/server_frames.h"

namespace roomchat::room {

namespace asio = boost::asio;
using model::Message;

namespace {

constexpr size_t kSnippetChars = 100;

std::shared_ptr<const std::string> shared(std::string frame) {
  return std::make_shared<const std::string>(std::move(frame));
}

#define REQUIRE_STRAND() requireStrand(strand_, __PRETTY_FUNCTION__)

std::string snippetOf(const Message& m) {
  if (m.kind == model::MessageKind::kImage && (!m.text || m.text->empty())) {
    return m.images.size() > 1 ? "[image] x" + std::to_string(m.images.size()) : "[image]";
  }
  return proto::utf8Prefix(m.text.value_or(""), kSnippetChars);
}

}  // namespace

Room::Room(std::string id, asio::any_io_executor executor, asio::any_io_executor work,
           std::unique_ptr<store::RoomStore> store, model::Room info, RoomHooks hooks,
           RoomLimits limits)
    : id_(std::move(id)),
      strand_(asio::make_strand(executor)),
      work_(std::move(work)),
      store_(std::move(store)),
      file_(store_->file()),
      storeOptions_(store_->options()),
      reader_(file_, id_),
      info_(std::move(info)),
      hooks_(std::move(hooks)),
      limits_(limits) {
  metrics().roomsAwake.add(1);
  metrics().roomFilesOpen.add(1);
  touch();
}

Room::~Room() {
  metrics().roomsAwake.add(-1);
  if (store_) metrics().roomFilesOpen.add(-1);
}

void Room::touch() { lastUsed_.store(nowMs(), std::memory_order_relaxed); }

void Room::attach(std::shared_ptr<Connection> conn, const std::string& connId, Member member) {
  REQUIRE_STRAND();
  touch();
  if (deleted_) {
    conn->send(shared(proto::roomDeletedFrame()));
    conn->close(kCloseRoomDeleted, "room deleted");
    return;
  }
  // Removed between the upgrade's membership check and this attach.
  if (auto r = removed_.find(member.user.id);
      r != removed_.end() && r->second >= member.authorizedAt) {
    conn->close(kCloseRemoved, "removed from the room");
    return;
  }
  conns_.emplace(connId, Conn{std::move(conn), std::move(member)});
  live_.store(static_cast<int>(conns_.size()), std::memory_order_relaxed);
}

void Room::detach(const std::string& connId) {
  REQUIRE_STRAND();
  touch();
  auto it = conns_.find(connId);
  if (it == conns_.end()) return;
  Member member = std::move(it->second.member);
  bool greeted = it->second.greeted;
  conns_.erase(it);
  // A full budget is the same as a new one: keep only those still refilling.
  if (auto b = messageBudgets_.find(member.user.id);
      b != messageBudgets_.end() && b->second.full(nowMs()))
    messageBudgets_.erase(b);
  live_.store(static_cast<int>(conns_.size()), std::memory_order_relaxed);
  if (greeted) leavePresence(member);
  if (call_.drop(connId, nowMs())) armCallTimer();
}

void Room::leavePresence(const Member& m) {
  const bool wasTyping = presence_.typing(m.user.id);
  if (presence_.disconnect(m.user.id) && wasTyping)
    broadcast(shared(proto::typingFrame(m.user.id, false)));
  broadcastPresence();
}

bool Room::takeMessageToken(const std::string& userId) {
  REQUIRE_STRAND();
  auto [it, added] = messageBudgets_.try_emplace(
      userId, limits_.userMessageRate, limits_.userMessageBurst);
  return it->second.take(nowMs());
}

void Room::handle(const std::string& connId, proto::ClientFrame&& frame) {
  REQUIRE_STRAND();
  touch();
  auto it = conns_.find(connId);
  if (it == conns_.end() || deleted_) return;
  Conn& c = it->second;
  if (!c.greeted && !std::holds_alternative<proto::Hello>(frame)) {
    auto* send = std::get_if<proto::Send>(&frame);
    return sendError(c, "hello_required", "the first frame must be hello",
                     send ? std::optional(send->clientId) : std::nullopt);
  }
  std::visit(
      [&](auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, proto::Hello>) onHello(c, connId, f);
        else if constexpr (std::is_same_v<T, proto::Send>) onSend(c, connId, std::move(f));
        else if constexpr (std::is_same_v<T, proto::History>) onHistory(c, f);
        else if constexpr (std::is_same_v<T, proto::Edit>) onEdit(c, f);
        else if constexpr (std::is_same_v<T, proto::Delete>) onDelete(c, f);
        else if constexpr (std::is_same_v<T, proto::Status>) onStatus(c, f);
        else if constexpr (std::is_same_v<T, proto::Typing>) onTyping(c, connId, f);
        else if constexpr (std::is_same_v<T, proto::Ping>) sendTo(c, proto::pongFrame());
        else if constexpr (std::is_same_v<T, proto::CallJoin>) onCallJoin(c, connId);
        else if constexpr (std::is_same_v<T, proto::CallUpdate>) onCallUpdate(c, connId, f);
        else if constexpr (std::is_same_v<T, proto::CallLeave>) onCallLeave(connId);
        else if constexpr (std::is_same_v<T, proto::CallSignal>) onCallSignal(c, connId, f);
      },
      frame);
}

void Room::onHello(Conn& c, const std::string& connId, const proto::Hello& f) {
  proto::Welcome w;
  const int64_t last = store_->lastSeq();
  const bool catchUp = f.lastSeq && *f.lastSeq <= last && last - *f.lastSeq <= limits_.catchUpMax;
  auto page = catchUp ? store_->after(*f.lastSeq, limits_.catchUpMax)
                      : store_->before(0, limits_.pageSize);
  // No welcome without its messages: the client retries its hello.
  if (!page.ok()) return sendError(c, "storage_unavailable", "the history could not be read");
  w.messages = std::move(page->messages);
  if (catchUp) {
    w.hasMore = !w.messages.empty() ? w.messages.front().seq > 1 : *f.lastSeq > 0;
  } else {
    w.hasMore = page->hasMore;
    w.reset = f.lastSeq.has_value();
  }
  bool rebound = false;
  if (!c.greeted) {
    c.greeted = true;
    presence_.connect(c.member.user.id);
    rebound = call_.rebind(c.member.user.id, c.member.tabId, connId);
  }
  w.connId = connId;
  w.you = c.member.user;
  w.room = viewFor(c.member);
  w.presence = presence_.entries();
  w.call = call_.participants();
  w.lastSeq = last;
  sendTo(c, proto::welcomeFrame(w));
  broadcastPresence();
  if (rebound) broadcastCall();  // peers learn the new connId; no leave, no join
}

bool Room::dedup(Conn& c, const std::string& connId, const std::string& clientId) {
  const std::string& userId = c.member.user.id;
  for (size_t i = 0; i < pending_.size(); ++i) {
    const Message& m = pending_[i].message;
    if (m.clientId == clientId && m.authorId == userId) {
      duplicates_.push_back({connId, i});
      return true;
    }
  }
  auto existing = store_->byClientId(userId, clientId);
  if (!existing.ok()) {  // unknown whether it is a repeat: storing it could duplicate it
    sendError(c, "storage_unavailable", "the message could not be stored", clientId);
    return true;
  }
  if (*existing) {
    sendTo(c, proto::ackFrame(clientId, **existing));
    return true;
  }
  return false;
}

Result<std::optional<model::ReplyRef>> Room::replySnapshot(int64_t seq) {
  auto target = store_->bySeq(seq);
  if (!target.ok()) return target.error();
  if (!*target || (*target)->deleted) return std::optional<model::ReplyRef>();
  const Message& m = **target;
  return std::optional(model::ReplyRef{m.seq, m.authorId, m.kind, snippetOf(m)});
}

void Room::onSend(Conn& c, const std::string& connId, proto::Send&& f) {
  if (dedup(c, connId, f.clientId)) return;
  Message m;
  if (f.replyToSeq) {
    auto reply = replySnapshot(*f.replyToSeq);
    if (!reply.ok())
      return sendError(c, "storage_unavailable", "the message could not be stored", f.clientId);
    if (!*reply) return sendError(c, "not_found", "the message replied to does not exist",
                                  f.clientId);
    m.replyTo = std::move(*reply);
  }
  m.createdAt = nowMs();
  m.id = uuidV7(m.createdAt);
  m.roomId = id_;
  m.authorKind = model::AuthorKind::kUser;
  m.authorId = c.member.user.id;
  m.kind = f.kind;
  m.text = std::move(f.text);
  m.images = std::move(f.images);
  m.clientId = std::move(f.clientId);
  pending_.push_back({connId, std::move(m)});
  scheduleFlush();
}

// Everything that reaches the strand before the posted flush runs rides in
// the same transaction.
void Room::scheduleFlush() {
  if (flushScheduled_) return;
  flushScheduled_ = true;
  asio::post(strand_, [self = shared_from_this()] { self->flush(); });
}

void Room::flush() {
  REQUIRE_STRAND();
  flushScheduled_ = false;
  if (pending_.empty()) return;
  std::vector<PendingSend> sends = std::move(pending_);
  std::vector<DuplicateSend> duplicates = std::move(duplicates_);
  pending_.clear();
  duplicates_.clear();
  metrics().roomQueueDepth.observe(static_cast<double>(sends.size() + duplicates.size()));

  std::vector<Message> batch;
  batch.reserve(sends.size());
  for (auto& s : sends) batch.push_back(std::move(s.message));
  const auto started = std::chrono::steady_clock::now();
  Status status = store_ ? store_->append(batch) : Status(makeError("not_found", "room deleted"));
  metrics().commitSeconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!status.ok()) {
    for (size_t i = 0; i < sends.size(); ++i) sends[i].message = std::move(batch[i]);
    return failPending(status.error(), sends, duplicates);
  }
  metrics().batchSize.observe(static_cast<double>(batch.size()));
  metrics().messagesPersisted.inc(batch.size());
  broadcastCommitted(sends, batch, duplicates);
  lastActivity_ = std::max(lastActivity_, batch.back().createdAt);
  reportActivity(false);
  maybeCheckpoint();
}

void Room::reportActivity(bool flushAll) {
  if (!hooks_.activity || lastActivity_ <= reportedActivity_) return;
  if (!flushAll && lastActivity_ - reportedActivity_ < limits_.activityReportMs) return;
  reportedActivity_ = lastActivity_;
  hooks_.activity(id_, lastActivity_);
}

// The task holds the room, so the directory does not hibernate it meanwhile,
// and its completion comes back to the strand before another may start.
void Room::maybeCheckpoint(bool afterDelete) {
  truncateOwed_ = truncateOwed_ || afterDelete;
  if (!store_ || checkpointing_) return;
  if (!truncateOwed_ && store_->walPages() < limits_.checkpointPages) return;
  checkpointing_ = true;
  const auto mode = truncateOwed_ ? store::CheckpointMode::kTruncate
                    : store_->walPages() >= limits_.restartPages ? store::CheckpointMode::kRestart
                                                                 : store::CheckpointMode::kPassive;
  truncateOwed_ = false;
  asio::post(work_, [self = shared_from_this(), mode] {
    const auto started = std::chrono::steady_clock::now();
    Status status = store::RoomStore::checkpoint(self->file_, mode, self->storeOptions_);
    metrics().checkpointSeconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    asio::post(self->strand_, [self, status] { self->checkpointDone(status); });
  });
}

void Room::checkpointDone(const Status& status) {
  checkpointing_ = false;
  if (!status.ok() && !deleted_)
    spdlog::warn("room {}: checkpoint failed: {} ({})", id_, status.error().code,
                 status.error().message);
  // A checkpoint that raced with the deletion may have made a -wal or -shm
  // again; its connection is closed now.
  if (deleted_) (void)store::RoomStore::destroy(file_);
  else if (truncateOwed_) maybeCheckpoint();
}

void Room::failPending(const Error& error, std::vector<PendingSend>& sends,
                       std::vector<DuplicateSend>& duplicates) {
  metrics().storageErrors.inc();
  spdlog::error("room {}: commit of {} messages failed: {} ({})", id_, sends.size(), error.code,
                error.message);
  auto fail = [&](const std::string& connId, const std::optional<std::string>& clientId) {
    auto it = conns_.find(connId);
    if (it != conns_.end())
      sendError(it->second, "storage_unavailable", "the message could not be stored", clientId);
  };
  for (const auto& s : sends) fail(s.connId, s.message.clientId);
  for (const auto& d : duplicates) fail(d.connId, sends[d.pendingIndex].message.clientId);
}

void Room::broadcastCommitted(const std::vector<PendingSend>& sends,
                              const std::vector<Message>& batch,
                              const std::vector<DuplicateSend>& duplicates) {
  std::vector<std::shared_ptr<const std::string>> acks(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    acks[i] = shared(proto::ackFrame(*batch[i].clientId, batch[i]));
    auto it = conns_.find(sends[i].connId);
    if (it != conns_.end()) it->second.conn->send(acks[i]);
    broadcast(shared(proto::messageFrame(batch[i])), &sends[i].connId);
  }
  for (const auto& d : duplicates) {
    auto it = conns_.find(d.connId);
    if (it != conns_.end()) it->second.conn->send(acks[d.pendingIndex]);
  }
}

// A page of the writer's own connection: fast (an index range of a few
// pages) and it spares the socket a trip through the work pool.
void Room::onHistory(Conn& c, const proto::History& f) {
  sendPage(c, store_->before(f.beforeSeq, f.limit));
}

void Room::sendPage(Conn& c, const Result<store::MessagePage>& page) {
  if (!page.ok()) return sendError(c, "storage_unavailable", "the history could not be read");
  sendTo(c, proto::historyFrame(page->messages, page->hasMore));
}

void Room::onEdit(Conn& c, const proto::Edit& f) {
  auto found = store_->bySeq(f.seq);
  if (!found.ok()) return sendError(c, "storage_unavailable", "the message could not be read");
  auto& m = *found;
  if (!m || m->deleted) return sendError(c, "not_found", "no such message");
  if (m->authorId != c.member.user.id)
    return sendError(c, "forbidden", "only the author can edit a message");
  if (m->kind != model::MessageKind::kText)
    return sendError(c, "invalid_field", "only text messages can be edited");
  m->text = f.text;
  m->editedAt = nowMs();
  if (Status s = store_->update(*m); !s.ok())
    return sendError(c, "storage_unavailable", "the edit could not be stored");
  broadcast(shared(proto::messageUpdatedFrame(*m)));
  maybeCheckpoint();
}

void Room::onDelete(Conn& c, const proto::Delete& f) {
  auto found = store_->bySeq(f.seq);
  if (!found.ok()) return sendError(c, "storage_unavailable", "the message could not be read");
  auto& m = *found;
  if (!m || m->deleted) return sendError(c, "not_found", "no such message");
  const bool owner = c.member.role == model::Role::kOwner;
  if (m->authorId != c.member.user.id && !owner)
    return sendError(c, "forbidden", "only the author or the room owner can delete a message");
  m->deleted = true;
  m->text.reset();
  m->images.clear();
  m->editedAt = nowMs();
  if (Status s = store_->update(*m); !s.ok())
    return sendError(c, "storage_unavailable", "the deletion could not be stored");
  broadcast(shared(proto::messageUpdatedFrame(*m)));
  maybeCheckpoint(/*afterDelete=*/true);
}

void Room::onStatus(Conn& c, const proto::Status& f) {
  if (presence_.setStatus(c.member.user.id, f.user, f.screen)) broadcastPresence();
}

void Room::onTyping(Conn& c, const std::string& connId, const proto::Typing& f) {
  const std::string& userId = c.member.user.id;
  if (!presence_.setTyping(userId, f.active)) return;
  auto frame = shared(proto::typingFrame(userId, f.active));
  for (auto& [id, other] : conns_)
    if (other.greeted && other.member.user.id != userId) other.conn->send(frame);
}

void Room::onCallJoin(Conn& c, const std::string& connId) {
  auto kicked = call_.join(c.member.user.id, connId, c.member.tabId, nowMs());
  if (kicked) {
    if (auto it = conns_.find(*kicked); it != conns_.end())
      sendTo(it->second, proto::callKickedFrame("joined_elsewhere"));
  }
  broadcastCall();
}

void Room::onCallUpdate(Conn& c, const std::string& connId, const proto::CallUpdate& f) {
  if (!call_.update(connId, f)) return sendError(c, "not_in_call", "join the call first");
  broadcastCall();
}

void Room::onCallLeave(const std::string& connId) {
  if (call_.leave(connId)) broadcastCall();
}

// Signals (SDP offers, ICE candidates) pass unchanged, only between two
// current participants, so the room never becomes a relay for strangers.
void Room::onCallSignal(Conn& c, const std::string& connId, const proto::CallSignal& f) {
  auto target = conns_.find(f.to);
  if (!call_.isLive(connId) || target == conns_.end() || !call_.isLive(f.to))
    return sendError(c, "not_in_call", "signals go only between call participants");
  sendTo(target->second, proto::callSignalFrame(connId, f.payloadJson));
}

void Room::broadcastCall() { broadcast(shared(proto::callFrame(call_.participants()))); }

void Room::armCallTimer() {
  auto earliest = call_.earliestDrop();
  if (!earliest) return;
  if (!callTimer_) callTimer_ = std::make_unique<asio::steady_timer>(strand_);
  const int64_t wait = std::max<int64_t>(0, *earliest + limits_.callGraceMs - nowMs());
  callTimer_->expires_after(std::chrono::milliseconds(wait));
  // The wait holds the room: the directory hibernates only a room nobody
  // references, and a room with a seat in its grace window must stay awake.
  callTimer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (self->call_.expire(nowMs() - self->limits_.callGraceMs)) self->broadcastCall();
    self->armCallTimer();
  });
}

void Room::removeUser(const std::string& userId, uint16_t code, const std::string& reason) {
  REQUIRE_STRAND();
  const int64_t now = nowMs();
  std::erase_if(removed_, [&](const auto& r) { return now - r.second > kRemovalMemoryMs; });
  removed_[userId] = now;
  std::vector<Member> gone;
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (it->second.member.user.id != userId) {
      ++it;
      continue;
    }
    it->second.conn->close(code, reason);
    if (it->second.greeted) gone.push_back(it->second.member);
    const bool wasInCall = call_.leave(it->first);
    it = conns_.erase(it);
    if (wasInCall) broadcastCall();
  }
  live_.store(static_cast<int>(conns_.size()), std::memory_order_relaxed);
  for (const auto& m : gone) leavePresence(m);
}

void Room::updateInfo(const model::Room& info) {
  REQUIRE_STRAND();
  info_ = info;
  for (auto& [id, c] : conns_)
    if (c.greeted) sendTo(c, proto::roomUpdatedFrame(viewFor(c.member)));
}

void Room::destroy() {
  REQUIRE_STRAND();
  deleted_ = true;
  auto frame = shared(proto::roomDeletedFrame());
  for (auto& [id, c] : conns_) {
    c.conn->send(frame);
    c.conn->close(kCloseRoomDeleted, "room deleted");
  }
  conns_.clear();
  live_.store(0, std::memory_order_relaxed);
  cancelTimers();
  reader_.close();
  if (store_) {
    store_.reset();
    metrics().roomFilesOpen.add(-1);
  }
}

void Room::hibernate() {
  reportActivity(true);
  reader_.close();
  if (!store_) return;
  if (Status s = store_->close(); !s.ok())
    spdlog::warn("room {}: closing checkpoint failed: {}", id_, s.error().message);
  store_.reset();
  metrics().roomFilesOpen.add(-1);
}

// The room lets go of its connections once they are told to close. A
// connection holds its room (RoomSocket::room_) until its socket finishes and
// detach() runs; a peer that never answers the close frame keeps the socket
// open until the io threads stop, and that cycle then leaked the room with its
// database still open (found by LeakSanitizer; see docs/reliability.md).
void Room::shutdown() {
  REQUIRE_STRAND();
  if (!pending_.empty()) flush();
  reportActivity(true);
  for (auto& [id, c] : conns_) c.conn->close(kCloseRestarting, "server restarting");
  conns_.clear();
  live_.store(0, std::memory_order_relaxed);
  cancelTimers();
}

// Pending waits hold the room; a room that is going away lets go of them.
void Room::cancelTimers() {
  if (callTimer_) callTimer_->cancel();
  if (presenceTimer_) presenceTimer_->cancel();
}

Result<store::MessagePage> Room::history(int64_t beforeSeq, int limit) {
  touch();
  return reader_.before(beforeSeq, limit);
}

Result<store::MessagePage> Room::search(const std::string& query, int64_t beforeSeq, int limit) {
  touch();
  return reader_.search(query, beforeSeq, limit);
}

model::RoomView Room::viewFor(const Member& m) const {
  return model::RoomView{info_, m.isFavorite, m.role, std::nullopt};
}

void Room::sendTo(Conn& c, std::string frame) { c.conn->send(shared(std::move(frame))); }

void Room::sendError(Conn& c, const std::string& code, const std::string& message,
                     const std::optional<std::string>& clientId) {
  metrics().framesRejected.inc();
  sendTo(c, proto::errorFrame(code, message, clientId));
}

void Room::broadcast(std::shared_ptr<const std::string> frame, const std::string* except) {
  uint64_t n = 0;
  for (auto& [id, c] : conns_) {
    if (!c.greeted || (except && id == *except)) continue;
    c.conn->send(frame);
    ++n;
  }
  metrics().fanoutDeliveries.inc(n);
}

void Room::broadcastPresence() {
  online_.store(presence_.users(), std::memory_order_relaxed);
  if (presenceScheduled_) return;
  presenceScheduled_ = true;
  if (!presenceTimer_) presenceTimer_ = std::make_unique<asio::steady_timer>(strand_);
  const int64_t windowUs = limits_.presenceWindowMs * 1000 +
                           limits_.presenceWindowUsPerConnection * static_cast<int64_t>(conns_.size());
  presenceTimer_->expires_after(std::chrono::microseconds(windowUs));
  presenceTimer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->sendPresenceNow();
  });
}

void Room::sendPresenceNow() {
  presenceScheduled_ = false;
  broadcast(shared(proto::presenceFrame(presence_.entries())));
}

}  // namespace roomchat::room
