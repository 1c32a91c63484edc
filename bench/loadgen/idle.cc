// Idle connections: as many room sockets as the open-file limit allows,
// spread over several 127.0.0.x source addresses, each having said hello and
// then silent. The server's RSS is read after one socket per room (rooms
// awake) and again after all of them, so the figure is the marginal cost of a
// connection, not of waking its room.
#include <thread>

#include "api.h"
#include "fleet.h"
#include "scenarios.h"
#include "stats.h"

namespace loadgen {

namespace {

// Descriptors kept free below the limit: the server's own files (meta store,
// listener, the awake rooms' databases and their -wal/-shm) and ours.
constexpr int kFileMargin = 1000;
constexpr int kConnectConcurrency = 256;
constexpr double kConnectTimeout = 400;
constexpr double kSettleSeconds = 3;

}  // namespace

nlohmann::json runIdle(const Server& server, const Args& args) {
  const int64_t fileLimit = raiseFileLimit();
  const int rooms = static_cast<int>(args.num("rooms", 200));
  const int users = static_cast<int>(args.num("users", 20));
  const int usersPerRoom = static_cast<int>(args.num("users-per-room", 2));
  const int sources = static_cast<int>(args.num("sources", 8));
  const int total = static_cast<int>(args.num("connections", fileLimit - kFileMargin));
  IoPool pool(static_cast<int>(args.num("threads", 2)));

  const double setupStart = nowSeconds();
  auto userList = signUpMany(server, users);
  auto roomIds = makeRooms(server, userList.empty() ? User{} : userList[0], rooms);
  // Connection i: room i % rooms, so the first `rooms` connections wake one room each.
  auto target = [&](int i) {
    const int r = i % rooms;
    const int u = (r * usersPerRoom + (i / rooms) % usersPerRoom) % std::max(users, 1);
    auto source = asio::ip::make_address_v4("127.0.0." + std::to_string(1 + i % sources));
    return roomSocket(server, roomIds[r], "t" + std::to_string(i),
                      userList.empty() ? "" : userList[u].cookie, asio::ip::address(source));
  };
  Fleet fleet(pool, total, {target, [](int) { return helloFrame(); }, [](int, std::string_view) {}});

  const int awake = fleet.open(0, rooms, kConnectConcurrency, kConnectTimeout);
  std::this_thread::sleep_for(std::chrono::duration<double>(kSettleSeconds));
  const auto base = sampleProcess(server.pid);
  const int baseFiles = countOpenFiles(server.pid);

  const double connectStart = nowSeconds();
  const int rest = fleet.open(rooms, total - rooms, kConnectConcurrency, kConnectTimeout);
  const double connectSeconds = nowSeconds() - connectStart;
  std::this_thread::sleep_for(std::chrono::duration<double>(kSettleSeconds));
  const auto loaded = sampleProcess(server.pid);
  const int connected = awake + rest - fleet.lost();

  nlohmann::json out = {
      {"file_limit", fileLimit},
      {"target_connections", total},
      {"connected", connected},
      {"sources", sources},
      {"rooms", rooms},
      {"setup_seconds", nowSeconds() - setupStart},
      {"connect_seconds", connectSeconds},
      {"connects_per_s", rest / connectSeconds},
      {"server_rss_base_bytes", base.rssBytes},
      {"server_rss_loaded_bytes", loaded.rssBytes},
      {"server_open_files_base", baseFiles},
      {"server_open_files_loaded", countOpenFiles(server.pid)},
      {"rss_per_connection_bytes",
       rest > 0 ? static_cast<double>(loaded.rssBytes - base.rssBytes) / (connected - awake) : 0},
      {"socket_problems", fleet.problems()},
      {"config", {{"users", users}, {"users_per_room", usersPerRoom}}}};
  return out;
}

}  // namespace loadgen
