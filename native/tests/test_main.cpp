// Runs every registered case; prints one TAP-like line per case and a summary.
#include <cstdio>
#include <cstring>
#include <exception>

#include "check.hpp"

int main(int argc, char** argv) {
  int passed = 0, failed = 0;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  for (const auto& c : dtest::cases()) {
    if (filter && !std::strstr(c.name, filter)) continue;
    try {
      c.fn();
      ++passed;
      std::printf("ok - %s\n", c.name);
    } catch (const dtest::Skipped& s) {
      ++passed;
      std::printf("ok - %s # SKIP %s\n", c.name, s.reason.c_str());
    } catch (const dtest::Failure& f) {
      ++failed;
      std::printf("not ok - %s\n  %s\n", c.name, f.message.c_str());
    } catch (const std::exception& e) {
      ++failed;
      std::printf("not ok - %s\n  unexpected exception: %s\n", c.name, e.what());
    }
  }
  std::printf("# %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
