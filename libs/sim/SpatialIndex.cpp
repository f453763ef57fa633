// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/SpatialIndex.h"

#include <algorithm>

namespace metatopia::sim {

SpatialIndex::SpatialIndex(Fixed regionSize, Fixed cellSize)
    : m_regionSize(regionSize)
    , m_cellSize(cellSize)
{
    m_side = static_cast<int>(
        std::clamp<std::int64_t>((regionSize / cellSize).ceil().toInt(), 1, 1024));
    m_cells.resize(std::size_t(m_side) * std::size_t(m_side));
}

int SpatialIndex::cellOf(Fixed coordinate) const noexcept
{
    if (coordinate <= Fixed::zero())
        return 0;
    const std::int64_t cell = (coordinate / m_cellSize).toInt();
    return static_cast<int>(std::min<std::int64_t>(cell, m_side - 1));
}

void SpatialIndex::insert(std::uint64_t id, const FVec3 &position)
{
    auto &cell = m_cells[std::size_t(cellOf(position.y) * m_side + cellOf(position.x))];
    auto it = std::lower_bound(
        cell.begin(), cell.end(), id, [](const Entry &e, std::uint64_t key) { return e.id < key; });
    if (it != cell.end() && it->id == id) {
        it->position = position;
        return;
    }
    cell.insert(it, Entry { id, position });
    ++m_size;
}

void SpatialIndex::remove(std::uint64_t id, const FVec3 &position)
{
    auto &cell = m_cells[std::size_t(cellOf(position.y) * m_side + cellOf(position.x))];
    auto it = std::lower_bound(
        cell.begin(), cell.end(), id, [](const Entry &e, std::uint64_t key) { return e.id < key; });
    if (it != cell.end() && it->id == id) {
        cell.erase(it);
        --m_size;
    }
}

void SpatialIndex::clear()
{
    for (auto &cell : m_cells)
        cell.clear();
    m_size = 0;
}

Fixed SpatialIndex::distanceSquared(const FVec3 &a, const FVec3 &b)
{
    Fixed sum = Fixed::zero();
    for (Fixed d : { a.x - b.x, a.y - b.y, a.z - b.z }) {
        const auto square = Fixed::checkedMul(d, d);
        if (!square)
            return Fixed::max();
        const auto next = Fixed::checkedAdd(sum, *square);
        if (!next)
            return Fixed::max();
        sum = *next;
    }
    return sum;
}

bool SpatialIndex::withinDistance(const FVec3 &a, const FVec3 &b, Fixed radius)
{
    const auto radiusSquared = Fixed::checkedMul(radius, radius);
    if (!radiusSquared)
        return true;
    return distanceSquared(a, b) <= *radiusSquared;
}

} // namespace metatopia::sim
