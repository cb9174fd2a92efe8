#include "collectives/watchdog.hpp"

namespace gpuscale::bench {

Watchdog::Watchdog(OnTimeout on_timeout) : on_timeout_(std::move(on_timeout)), thread_([this] { loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::arm(double seconds, std::string what) {
  {
    std::lock_guard lock(mu_);
    armed_ = true;
    seconds_ = seconds;
    deadline_ =
        clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    what_ = std::move(what);
  }
  cv_.notify_all();
}

void Watchdog::disarm() {
  std::lock_guard lock(mu_);
  armed_ = false;  // the thread sleeps on until the old deadline and then finds nothing to do
}

bool Watchdog::fired() const {
  std::lock_guard lock(mu_);
  return fired_;
}

void Watchdog::loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!armed_ || fired_) {
      cv_.wait(lock);
      continue;
    }
    if (clock::now() < deadline_) {
      cv_.wait_until(lock, deadline_);
      continue;
    }
    fired_ = true;
    const std::string what = what_;
    const double seconds = seconds_;
    lock.unlock();
    on_timeout_(what, seconds);
    lock.lock();
  }
}

}  // namespace gpuscale::bench
