// Server wires roomchat together and runs it: the meta store, the room
// directory, the API handler and the HTTP listener on an io_context with one
// thread per core, plus a small pool for blocking work. It owns no logic of
// its own. run() returns after SIGTERM/SIGINT, once sockets were closed with
// 1012, in-flight commits finished and every database was closed.
#pragma once

#include "app/config.h"

namespace roomchat::app {

// Returns the process exit code.
int runServer(const Config& config);

}  // namespace roomchat::app
