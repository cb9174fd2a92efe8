// For GPU tests: skip with the driver's reason when no usable GPU is present.
#pragma once

#include <gtest/gtest.h>

#include "gpu/gpu_backend.hpp"

#define GPUSCALE_REQUIRE_GPU()                                                      \
  do {                                                                              \
    const std::string gpuscale_why_ = ::gpuscale::bench::gpu_backend().probe(0);    \
    if (!gpuscale_why_.empty()) GTEST_SKIP() << "no usable GPU: " << gpuscale_why_; \
  } while (0)
