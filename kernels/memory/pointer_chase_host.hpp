// Host side of the pointer chase (no CUDA): builds the chain the kernel walks and predicts where
// the walk ends, so the chain can be built and checked on a machine without a GPU.
//
// The buffer is `bytes` long, viewed as 32-bit words. It holds slots = bytes / stride_bytes slots,
// slot j at word j * stride_bytes / 4; every slot holds the word index of the next slot. The
// order of slots is one random cycle through all of them (Sattolo's algorithm), so every load
// misses whatever the hardware prefetchers guessed, and a chase of `slots` loads touches every
// slot exactly once. Words between slots are zero and never read.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace gpuscale::kernels {

struct PointerChasePlan {
  std::vector<std::uint32_t> words;  // the whole buffer, bytes / 4 words: copy it to the device
  std::uint32_t start = 0;           // word index of the first slot to load
  std::uint64_t slots = 0;           // slots in the cycle
};

namespace detail {
// splitmix64: a fixed, portable generator, so a seed gives the same chain on every platform
// (std::uniform_int_distribution is implementation-defined).
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace detail

// Throws std::invalid_argument when stride_bytes is not a positive multiple of 4, when fewer
// than 2 slots fit, or when the buffer has more words than a 32-bit index reaches (16 GiB).
inline PointerChasePlan make_pointer_chase(std::uint64_t bytes, std::uint32_t stride_bytes,
                                           std::uint64_t seed = 1) {
  if (stride_bytes == 0 || stride_bytes % 4 != 0)
    throw std::invalid_argument("pointer chase: stride_bytes must be a positive multiple of 4");
  const std::uint64_t slots = bytes / stride_bytes;
  if (slots < 2)
    throw std::invalid_argument("pointer chase: fewer than 2 slots of stride_bytes fit in bytes");
  if (bytes / 4 > 0xffffffffull) throw std::invalid_argument("pointer chase: buffer over 16 GiB");
  const std::uint64_t stride_words = stride_bytes / 4;

  // Sattolo: a uniformly random permutation with a single cycle.
  std::vector<std::uint32_t> order(slots);
  for (std::uint64_t i = 0; i < slots; ++i) order[i] = static_cast<std::uint32_t>(i);
  std::uint64_t state = seed;
  for (std::uint64_t i = slots - 1; i > 0; --i) {
    const std::uint64_t j = detail::splitmix64(state) % i;  // j < i, never i itself
    std::swap(order[i], order[j]);
  }
  PointerChasePlan plan;
  plan.slots = slots;
  plan.words.assign(bytes / 4, 0);
  for (std::uint64_t i = 0; i < slots; ++i)
    plan.words[i * stride_words] = static_cast<std::uint32_t>(order[i] * stride_words);
  plan.start = 0;
  return plan;
}

// Where a chase of `loads` dependent loads from `start` ends: the value the kernel writes.
inline std::uint32_t pointer_chase_end(const std::vector<std::uint32_t>& words, std::uint32_t start,
                                       std::uint64_t loads) {
  std::uint32_t i = start;
  for (std::uint64_t k = 0; k < loads; ++k) i = words.at(i);
  return i;
}

}  // namespace gpuscale::kernels
