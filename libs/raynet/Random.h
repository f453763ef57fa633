// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Seeded randomness for RayNet. The std:: distributions are implementation-defined, so the
// simulator draws everything through these few functions on top of mt19937_64 (whose output
// sequence the standard does fix): same seed, same overlay, on every conforming library.

#include <cmath>
#include <cstdint>
#include <random>

namespace metatopia::raynet {

// splitmix64 finaliser: derives independent seeds (per node, per purpose) from one seed.
inline std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b)
{
    std::uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

class Rng
{
public:
    explicit Rng(std::uint64_t seed)
        : m_engine(seed)
    { }
    std::uint64_t next() { return m_engine(); }
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return double(m_engine() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // Uniform in [0, n) by multiply-shift (bias below 2^-64 * n, irrelevant here); n > 0.
    std::uint64_t below(std::uint64_t n)
    {
        return std::uint64_t((unsigned __int128)m_engine() * n >> 64);
    }
    bool chance(double p) { return uniform() < p; }
    // Standard normal by Box-Muller (one of the pair is dropped to keep the state simple).
    double normal()
    {
        constexpr double twoPi = 6.28318530717958647692;
        const double u1 = 1.0 - uniform(); // (0, 1]
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(twoPi * u2);
    }

private:
    std::mt19937_64 m_engine;
};

} // namespace metatopia::raynet
