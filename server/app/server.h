// Server wires roomchat together and runs it: the meta store, the room
// directory, the API handler and the HTTP listener on one event loop per io
// thread (net/io_shards.h: a room and its sockets share one), plus a small
// pool for blocking work. It owns no logic of
// its own. run() returns after SIGTERM/SIGINT, once sockets were closed with
// 1012, in-flight commits finished and every database was closed.
#pragma once

#include "app/config.h"

namespace roomchat::app {

// Returns the process exit code.
int runServer(const Config& config);

}  // namespace roomchat::app
