// The invariant check every fuzz target uses. Unlike assert() it stays on in
// any build type, and it aborts, which libFuzzer reports as a crash and saves
// the input for: a broken invariant is a finding just like an ASan report.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                      \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   #cond, what);                                                    \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
