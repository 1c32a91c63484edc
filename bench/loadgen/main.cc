// roomchat-loadgen: the benchmark client (bench/README.md, docs/benchmarks.md).
//   roomchat-loadgen <scenario> --server roomchat|baseline --port P --pid PID [flags]
// Scenarios: fanout, idle, hibernate, history-prepare, history, storm. Prints
// one JSON object with the figures; exits 1 when the scenario could not run.
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>

#include "api.h"
#include "scenarios.h"
#include "stats.h"

namespace {

using Scenario = std::function<nlohmann::json(const loadgen::Server&, const loadgen::Args&)>;

const std::map<std::string, Scenario>& scenarios() {
  static const std::map<std::string, Scenario> all = {
      {"fanout", loadgen::runFanout},
      {"idle", loadgen::runIdle},
      {"hibernate", loadgen::runHibernate},
      {"history-prepare", loadgen::runHistoryPrepare},
      {"history", loadgen::runHistory},
      {"storm", loadgen::runStorm}};
  return all;
}

int usage() {
  std::cerr << "usage: roomchat-loadgen <scenario> --server roomchat|baseline --port P "
               "[--pid PID] [--flag value ...]\nscenarios:";
  for (const auto& [name, f] : scenarios()) std::cerr << ' ' << name;
  std::cerr << '\n';
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !scenarios().count(argv[1])) return usage();
  try {
    loadgen::Args args(argc - 2, argv + 2);
    const auto server = loadgen::Server::fromArgs(args);
    nlohmann::json out = scenarios().at(argv[1])(server, args);
    out["scenario"] = argv[1];
    out["server"] = server.baseline ? "baseline" : "roomchat";
    out["at"] = loadgen::utcTimestamp();
    if (auto unused = args.unused(); !unused.empty()) out["unused_flags"] = unused;
    std::cout << out.dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "roomchat-loadgen " << argv[1] << ": " << e.what() << '\n';
    return 1;
  }
}
