// A watchdog thread for collectives: armed with a deadline and a description before a step that
// may block on other ranks (a collective, an agreement), disarmed after it. When a deadline passes
// while armed, it calls `on_timeout(what, seconds)` once, from its own thread: a rank blocked inside
// MPI or NCCL cannot time itself out, so the watchdog must act (report, abort the job).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gpuscale::bench {

class Watchdog {
 public:
  using OnTimeout = std::function<void(const std::string& what, double seconds)>;
  explicit Watchdog(OnTimeout on_timeout);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void arm(double seconds, std::string what);
  void disarm();
  bool fired() const;

 private:
  void loop();
  using clock = std::chrono::steady_clock;
  OnTimeout on_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false, stop_ = false, fired_ = false;
  clock::time_point deadline_;
  double seconds_ = 0;
  std::string what_;
  std::thread thread_;
};

// Arms `w` for the lifetime of the scope.
class ArmedWatchdog {
 public:
  ArmedWatchdog(Watchdog& w, double seconds, std::string what) : w_(w) { w_.arm(seconds, std::move(what)); }
  ~ArmedWatchdog() { w_.disarm(); }
  ArmedWatchdog(const ArmedWatchdog&) = delete;
  ArmedWatchdog& operator=(const ArmedWatchdog&) = delete;

 private:
  Watchdog& w_;
};

}  // namespace gpuscale::bench
