// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// SpatialIndex: a uniform grid over the region answering "which objects are within r of p" for
// chat routing and sensors. It is derived state: the engine updates it from each tick's changes
// (O(changes)), rebuilds it after a snapshot restore, and only reads it while scripts run.
// Cells keep entries sorted by id, so every query visits candidates in the same order everywhere.

#include "sim/World.h"

#include <vector>

namespace metatopia::sim {

class SpatialIndex
{
public:
    struct Entry
    {
        std::uint64_t id = 0;
        FVec3 position;
    };

    explicit SpatialIndex(
        Fixed regionSize = Fixed::fromInt(256), Fixed cellSize = Fixed::fromInt(16));

    void insert(std::uint64_t id, const FVec3 &position);
    void remove(std::uint64_t id, const FVec3 &position);
    void clear();
    std::size_t size() const noexcept { return m_size; }

    // Calls fn(const Entry &) for each entry with |position - centre| <= radius. Candidates are
    // visited cell by cell (rows of x, then y), each cell in id order.
    template<typename Fn> void forEachWithin(const FVec3 &centre, Fixed radius, Fn &&fn) const
    {
        const int x0 = cellOf(centre.x - radius);
        const int x1 = cellOf(centre.x + radius);
        const int y0 = cellOf(centre.y - radius);
        const int y1 = cellOf(centre.y + radius);
        const bool everywhere = radius >= m_regionSize * Fixed::fromInt(2);
        for (int y = y0; y <= y1; ++y) {
            for (int x = x0; x <= x1; ++x) {
                for (const Entry &entry : m_cells[std::size_t(y * m_side + x)]) {
                    if (everywhere || withinDistance(entry.position, centre, radius))
                        fn(entry);
                }
            }
        }
    }

    // Exact on Fixed: squared distance against squared radius, both saturating instead of
    // wrapping so far-apart points never look near.
    static bool withinDistance(const FVec3 &a, const FVec3 &b, Fixed radius);
    static Fixed distanceSquared(const FVec3 &a, const FVec3 &b);

private:
    int cellOf(Fixed coordinate) const noexcept;

    Fixed m_regionSize;
    Fixed m_cellSize;
    int m_side = 1;
    std::size_t m_size = 0;
    std::vector<std::vector<Entry>> m_cells;
};

} // namespace metatopia::sim
