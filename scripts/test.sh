#!/usr/bin/env bash
# Builds gpuscale and runs its tests: the CUDA build when nvcc is found (every kernel compiled for
# the default architectures; GPU tests skip with their reason where there is no GPU), then the
# host-only build, which must build and pass without any CUDA toolkit.
#
#   scripts/test.sh            # what a developer runs; .ci/run runs exactly this with CI=true
#   GPUSCALE_HARDENING=1 scripts/test.sh   # also the sanitizer build and the fuzz pass (CI does)
#   GPUSCALE_FORMAT_CHECK=1 scripts/test.sh  # also fail on formatting drift (CI does)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${GPUSCALE_JOBS:-$(nproc)}
if command -v ninja >/dev/null; then export CMAKE_GENERATOR=${CMAKE_GENERATOR:-Ninja}; fi
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_CUDA_COMPILER_LAUNCHER=ccache
fi
# CI uses only the system's packages; a developer's machine may fetch what is missing.
if [ "${CI:-}" = "true" ]; then cuda_preset=ci host_preset=ci-host; else cuda_preset=default host_preset=host; fi

status=0
# Formatting (CI, or GPUSCALE_FORMAT_CHECK=1): every C++/CUDA file matches .clang-format, with
# Debian's clang-format (the version CI installs; another version may differ on a few constructs).
if [ "${CI:-}" = "true" ] || [ "${GPUSCALE_FORMAT_CHECK:-0}" = "1" ]; then
  echo "=== format check (scripts/format.sh --check)"
  scripts/format.sh --check || status=1
fi

run_preset() {
  local preset=$1
  echo "=== configure + build: preset ${preset}"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
  echo "=== test: preset ${preset}"
  ctest --preset "${preset}" -j "${jobs}" || status=1
}

if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="${PATH}:/usr/local/cuda/bin"
  run_preset "${cuda_preset}"
else
  echo "=== no CUDA toolkit (nvcc) found: host-only build only"
fi
run_preset "${host_preset}"

# Hardening (CI, or GPUSCALE_HARDENING=1): the host tests again under ASan + UBSan with no recovery
# (leaks checked, Open MPI's own suppressed by tests/sanitize/lsan.supp), then a short libFuzzer
# pass over every loader (clang; about 12 s per target).
if [ "${CI:-}" = "true" ] || [ "${GPUSCALE_HARDENING:-0}" = "1" ]; then
  run_preset sanitize
  if command -v clang++ >/dev/null; then
    echo "=== configure + build: preset fuzz"
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz -j "${jobs}" --target fuzz_results fuzz_profile fuzz_scenario fuzz_hf_config
    echo "=== test: preset fuzz (short pass)"
    ctest --preset fuzz -j "${jobs}" || status=1
  else
    echo "=== no clang++: the fuzz pass is skipped"
  fi
fi
exit ${status}
