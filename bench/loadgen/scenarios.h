// One function per scenario. Each reads its flags from Args, drives the
// server given by --server/--port/--pid, and returns its figures as JSON
// (printed by main, one object per run). bench/README.md lists the flags.
#pragma once

#include <nlohmann/json.hpp>

#include "api.h"
#include "args.h"

namespace loadgen {

nlohmann::json runFanout(const Server& server, const Args& args);
nlohmann::json runIdle(const Server& server, const Args& args);
nlohmann::json runHibernate(const Server& server, const Args& args);
// history-prepare: a user and a room to seed (before the server is stopped).
nlohmann::json runHistoryPrepare(const Server& server, const Args& args);
nlohmann::json runHistory(const Server& server, const Args& args);
nlohmann::json runStorm(const Server& server, const Args& args);

}  // namespace loadgen
