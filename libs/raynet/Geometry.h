// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Points, the bounded attribute space and query regions of the RayNet overlay. RayNet is not part
// of the deterministic world, so it computes in doubles; the space is a box so every Voronoi cell
// (and every ray cast from a node) is finite.

#include <array>
#include <cmath>
#include <cstdint>

namespace metatopia::raynet {

// Nodes may use 2..kMaxDimensions attributes; unused trailing coordinates must be zero.
inline constexpr int kMaxDimensions = 4;
using Point = std::array<double, kMaxDimensions>;

struct Space
{
    int dimensions = 2;
    double lo = 0.0;
    double hi = 1.0;

    // Finite, inside [lo, hi] on the used axes and exactly zero on the others.
    bool contains(const Point &p) const
    {
        for (int i = 0; i < kMaxDimensions; ++i) {
            if (!std::isfinite(p[i]))
                return false;
            if (i < dimensions ? (p[i] < lo || p[i] > hi) : p[i] != 0.0)
                return false;
        }
        return true;
    }
    double volume() const { return std::pow(hi - lo, dimensions); }
    bool valid() const
    {
        return dimensions >= 1 && dimensions <= kMaxDimensions && std::isfinite(lo)
            && std::isfinite(hi) && lo < hi;
    }
};

inline double distanceSquared(const Point &a, const Point &b)
{
    double s = 0.0;
    for (int i = 0; i < kMaxDimensions; ++i) {
        const double d = a[i] - b[i];
        s += d * d;
    }
    return s;
}

inline double distance(const Point &a, const Point &b)
{
    return std::sqrt(distanceSquared(a, b));
}

// Volume of the unit ball in d dimensions (turns mean r^d over rays into a cell volume).
inline double unitBallVolume(int d)
{
    constexpr double pi = 3.14159265358979323846;
    return std::pow(pi, d / 2.0) / std::tgamma(d / 2.0 + 1.0);
}

// Region of a range query: a ball (centre, radius) or an axis-aligned box [lo, hi].
struct Region
{
    enum class Kind : std::uint8_t
    {
        Ball = 0,
        Box = 1
    };
    Kind kind = Kind::Ball;
    Point a {}; // ball centre or box low corner
    Point b {}; // box high corner (unused for a ball)
    double radius = 0.0;

    friend bool operator==(const Region &, const Region &) = default;

    static Region ball(const Point &centre, double r) { return { Kind::Ball, centre, {}, r }; }
    static Region box(const Point &lo, const Point &hi) { return { Kind::Box, lo, hi, 0.0 }; }

    Point anchor() const
    {
        if (kind == Kind::Ball)
            return a;
        Point c {};
        for (int i = 0; i < kMaxDimensions; ++i)
            c[i] = (a[i] + b[i]) / 2.0;
        return c;
    }
    double distanceTo(const Point &p) const
    {
        if (kind == Kind::Ball)
            return std::max(0.0, distance(p, a) - radius);
        double s = 0.0;
        for (int i = 0; i < kMaxDimensions; ++i) {
            const double d = p[i] < a[i] ? a[i] - p[i] : (p[i] > b[i] ? p[i] - b[i] : 0.0);
            s += d * d;
        }
        return std::sqrt(s);
    }
    bool contains(const Point &p) const
    {
        if (kind == Kind::Ball)
            return distanceSquared(p, a) <= radius * radius;
        for (int i = 0; i < kMaxDimensions; ++i)
            if (p[i] < a[i] || p[i] > b[i])
                return false;
        return true;
    }
    bool valid(const Space &space) const
    {
        if (kind == Kind::Ball)
            return space.contains(a) && std::isfinite(radius) && radius >= 0.0;
        if (!space.contains(a) || !space.contains(b))
            return false;
        for (int i = 0; i < kMaxDimensions; ++i)
            if (a[i] > b[i])
                return false;
        return true;
    }
};

} // namespace metatopia::raynet
