// Device-side input patterns and output checks, so that validating a multi-GiB output moves a few
// bytes to the host, not the whole array. Used outside the timed region only.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>

namespace gpuscale::bench {

// ramp(i) = 1 + (i mod 1024) / 1024: non-zero, varied, exactly representable in float.
float ramp_value(std::size_t i);

// x[i] = ramp(i) (ramp = true) or x[i] = value.
void fill_f32(float* x, std::size_t n, bool ramp, float value, cudaStream_t s);

struct Mismatch {
  unsigned long long count = 0;
  unsigned long long first_index = 0;
  float first_value = 0;
  float first_expected = 0;
  std::string describe(const char* array_name) const;  // "" when count == 0
};

// Compares x[i] with expected(i) = scale * base(i) + offset, rounded as two separate float
// operations (no FMA), where base(i) = ramp(i) when `ramp`, else 1. An element is wrong when
// |x - expected| > tol * |expected|. Synchronises `s`.
Mismatch compare_f32(const float* x, std::size_t n, bool ramp, float scale, float offset, float tol,
                     cudaStream_t s);

}  // namespace gpuscale::bench
