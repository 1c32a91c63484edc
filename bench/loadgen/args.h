// Args holds a scenario's `--name value` flags. Every getter takes the
// default the scenario uses when the flag is absent; a flag given but not
// read by the scenario is reported by unused(), so typos do not pass silently.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace loadgen {

class Args {
 public:
  // argv after the scenario name; throws std::invalid_argument on "--x" without a value.
  Args(int argc, char** argv) {
    for (int i = 0; i < argc; ++i) {
      std::string key = argv[i];
      if (key.rfind("--", 0) != 0 || i + 1 >= argc)
        throw std::invalid_argument("expected --name value, got " + key);
      values_[key.substr(2)] = argv[++i];
    }
  }

  std::string str(const std::string& name, const std::string& fallback) const {
    read_.insert(name);
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  int64_t num(const std::string& name, int64_t fallback) const {
    auto s = str(name, "");
    return s.empty() ? fallback : std::stoll(s);
  }
  double real(const std::string& name, double fallback) const {
    auto s = str(name, "");
    return s.empty() ? fallback : std::stod(s);
  }

  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : values_)
      if (!read_.count(k)) out.push_back(k);
    return out;
  }

 private:
  std::map<std::string, std::string> values_;
  mutable std::set<std::string> read_;
};

}  // namespace loadgen
