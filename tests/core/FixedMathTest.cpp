// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/FixedMath.h"

#include <QTest>

#include <cmath>
#include <functional>
#include <random>

using namespace metatopia;
using namespace metatopia::literals;

namespace {

constexpr long double Scale = 4294967296.0L;

long double toLd(Fixed f)
{
    return static_cast<long double>(f.raw()) / Scale;
}

// |got - exact| in ulps of 2^-32. long double carries 64 bits, so the reference is good to
// 2^-62 below 2, and to about half an ulp near 2^31.
long double ulpError(Fixed got, long double exact)
{
    return std::fabs(static_cast<long double>(got.raw()) - exact * Scale);
}

// Bit-by-bit integer square root: slow, obviously right.
std::uint64_t referenceIsqrt(unsigned __int128 n)
{
    unsigned __int128 r = 0;
    for (int bit = 63; bit >= 0; --bit) {
        const unsigned __int128 c = r | (static_cast<unsigned __int128>(1) << bit);
        if (c * c <= n)
            r = c;
    }
    return static_cast<std::uint64_t>(r);
}

struct Sweep
{
    long double maxError = 0;
    Fixed worst = Fixed::zero();
    void add(Fixed x, long double error)
    {
        if (error > maxError) {
            maxError = error;
            worst = x;
        }
    }
};

// Dense grid over [lo, hi] plus random points in it.
std::vector<Fixed> grid(Fixed lo, Fixed hi, int steps, std::mt19937_64 &rng, int randoms)
{
    std::vector<Fixed> xs;
    const std::int64_t span = hi.raw() - lo.raw();
    for (int i = 0; i <= steps; ++i)
        xs.push_back(Fixed::fromRaw(lo.raw()
                                    + static_cast<std::int64_t>(static_cast<__int128>(span) * i / steps)));
    for (int i = 0; i < randoms; ++i)
        xs.push_back(Fixed::fromRaw(lo.raw() + static_cast<std::int64_t>(rng() % std::uint64_t(span))));
    return xs;
}

void report(const char *name, const Sweep &s)
{
    qInfo("%s: max error %.4Lf ulp at %s", name, s.maxError, s.worst.toString().c_str());
}

} // namespace

class FixedMathTest : public QObject
{
    Q_OBJECT

private slots:
    void isqrtIsExact()
    {
        std::mt19937_64 rng(1);
        for (int i = 0; i < 20000; ++i) {
            unsigned __int128 n = (static_cast<unsigned __int128>(rng()) << 64) | rng();
            n >>= rng() % 128;
            QCOMPARE(fmath::isqrt(n), referenceIsqrt(n));
        }
        const unsigned __int128 all = ~static_cast<unsigned __int128>(0);
        QCOMPARE(fmath::isqrt(all), ~std::uint64_t(0));
        for (std::uint64_t k : {std::uint64_t(1), std::uint64_t(3), std::uint64_t(1) << 32,
                                ~std::uint64_t(0), (std::uint64_t(1) << 63) + 12345}) {
            const unsigned __int128 sq = static_cast<unsigned __int128>(k) * k;
            QCOMPARE(fmath::isqrt(sq), k);
            QCOMPARE(fmath::isqrt(sq - 1), k - 1);
        }
        QCOMPARE(fmath::isqrt(0), std::uint64_t(0));
    }

    void sqrtIsCorrectlyRounded()
    {
        std::mt19937_64 rng(2);
        for (int i = 0; i < 100000; ++i) {
            const std::int64_t raw = static_cast<std::int64_t>(rng() >> (1 + rng() % 63));
            const unsigned __int128 n = static_cast<unsigned __int128>(raw) << 32;
            // Correct rounding: the integer nearest to sqrt(n).
            const std::uint64_t r = referenceIsqrt(n);
            const std::uint64_t expected = r + ((n - static_cast<unsigned __int128>(r) * r > r) ? 1 : 0);
            QCOMPARE(fmath::sqrt(Fixed::fromRaw(raw)).raw(), static_cast<std::int64_t>(expected));
        }
        QCOMPARE(fmath::sqrt(4_fix), 2_fix);
        QCOMPARE(fmath::sqrt(0.25_fix), 0.5_fix);
        QCOMPARE(fmath::sqrt(-4_fix), Fixed::zero());
        QCOMPARE(fmath::sqrt(Fixed::max()).raw(), 199032864766430); // round(sqrt(2^95 - 2^32))
        QCOMPARE(fmath::sqrt(Fixed::epsilon()).raw(), 65536); // 2^-16
        QCOMPARE(fmath::hypot(3_fix, -4_fix), 5_fix);
        QCOMPARE(fmath::hypot(Fixed::max(), Fixed::max()), Fixed::max());
        QCOMPARE(fmath::hypot(Fixed::min(), Fixed::zero()), Fixed::max());
    }

    void sinCos()
    {
        std::mt19937_64 rng(3);
        Sweep s;
        Sweep c;
        auto xs = grid(-20_fix, 20_fix, 200000, rng, 50000);
        for (int i = 0; i < 20000; ++i)
            xs.push_back(Fixed::fromRaw(static_cast<std::int64_t>(rng())));
        for (const Fixed x : xs) {
            const auto [sv, cv] = fmath::sinCos(x);
            s.add(x, ulpError(sv, std::sin(toLd(x))));
            c.add(x, ulpError(cv, std::cos(toLd(x))));
            QCOMPARE(fmath::sin(x), sv);
            QCOMPARE(fmath::cos(x), cv);
        }
        report("sin", s);
        report("cos", c);
        QVERIFY(s.maxError <= 1.0L);
        QVERIFY(c.maxError <= 1.0L);
        QCOMPARE(fmath::sin(Fixed::zero()), Fixed::zero());
        QCOMPARE(fmath::cos(Fixed::zero()), Fixed::one());
        QCOMPARE(fmath::sin(-1_fix), -fmath::sin(1_fix));
    }

    void tan()
    {
        std::mt19937_64 rng(4);
        Sweep t;
        for (const Fixed x : grid(-1.57_fix, 1.57_fix, 100000, rng, 20000)) {
            const long double exact = std::tan(toLd(x));
            const long double bound = 1.0L + std::ldexp(exact * exact, -28);
            const long double error = ulpError(fmath::tan(x), exact);
            t.add(x, error);
            QVERIFY2(error <= bound, x.toString().c_str());
        }
        report("tan", t);
        QCOMPARE(fmath::tan(fmath::halfPi()), Fixed::max()); // tan of the Fixed nearest π/2 is ≈ 2^33
    }

    void inverseTrig()
    {
        std::mt19937_64 rng(5);
        Sweep as;
        Sweep ac;
        for (const Fixed x : grid(-1_fix, 1_fix, 200000, rng, 50000)) {
            as.add(x, ulpError(fmath::asin(x), std::asin(toLd(x))));
            ac.add(x, ulpError(fmath::acos(x), std::acos(toLd(x))));
        }
        report("asin", as);
        report("acos", ac);
        QVERIFY(as.maxError <= 1.0L);
        QVERIFY(ac.maxError <= 1.0L);
        QCOMPARE(fmath::asin(2_fix), fmath::halfPi());
        QCOMPARE(fmath::acos(-2_fix), fmath::pi());
        QCOMPARE(fmath::acos(1_fix), Fixed::zero());
        QCOMPARE(fmath::acos(Fixed::zero()), fmath::halfPi());
        QCOMPARE(fmath::asin(Fixed::zero()), Fixed::zero());

        Sweep at;
        auto xs = grid(-50_fix, 50_fix, 200000, rng, 20000);
        for (int i = 0; i < 20000; ++i)
            xs.push_back(Fixed::fromRaw(static_cast<std::int64_t>(rng())));
        for (const Fixed x : xs)
            at.add(x, ulpError(fmath::atan(x), std::atan(toLd(x))));
        report("atan", at);
        QVERIFY(at.maxError <= 1.0L);

        Sweep a2;
        for (int i = 0; i < 200000; ++i) {
            const Fixed y = Fixed::fromRaw(static_cast<std::int64_t>(rng()) >> (rng() % 64));
            const Fixed x = Fixed::fromRaw(static_cast<std::int64_t>(rng()) >> (rng() % 64));
            a2.add(y, ulpError(fmath::atan2(y, x), std::atan2(toLd(y), toLd(x))));
        }
        report("atan2", a2);
        QVERIFY(a2.maxError <= 1.0L);
        QCOMPARE(fmath::atan2(Fixed::zero(), Fixed::zero()), Fixed::zero());
        QCOMPARE(fmath::atan2(Fixed::zero(), -1_fix), fmath::pi());
        QCOMPARE(fmath::atan2(1_fix, Fixed::zero()), fmath::halfPi());
        QCOMPARE(fmath::atan2(-1_fix, Fixed::zero()), -fmath::halfPi());
        QCOMPARE(fmath::atan2(1_fix, 1_fix), Fixed::fromRaw((fmath::pi().raw() + 2) / 4));
    }

    void expLog()
    {
        std::mt19937_64 rng(6);
        Sweep ex;
        Sweep ex2;
        for (const Fixed x : grid(-24_fix, 21.48_fix, 200000, rng, 50000)) {
            const long double exact = std::exp(toLd(x));
            const long double error = ulpError(fmath::exp(x), exact);
            ex.add(x, error);
            // 1 ulp plus 2^-60 relative; the reference itself is good to half an ulp at the top.
            QVERIFY2(error <= 1.5L + std::ldexp(exact, 32 - 60), x.toString().c_str());
        }
        for (const Fixed x : grid(-34_fix, 30.99_fix, 200000, rng, 50000)) {
            const long double exact = std::exp2(toLd(x));
            const long double error = ulpError(fmath::exp2(x), exact);
            ex2.add(x, error);
            QVERIFY2(error <= 1.5L + std::ldexp(exact, 32 - 61), x.toString().c_str());
        }
        report("exp", ex);
        report("exp2", ex2);
        QCOMPARE(fmath::exp(Fixed::zero()), Fixed::one());
        QCOMPARE(fmath::exp(1_fix), fmath::e());
        QCOMPARE(fmath::exp(22_fix), Fixed::max());
        QCOMPARE(fmath::exp(Fixed::max()), Fixed::max());
        QCOMPARE(fmath::exp(Fixed::min()), Fixed::zero());
        QCOMPARE(fmath::exp2(10_fix), 1024_fix);
        QCOMPARE(fmath::exp2(-32_fix), Fixed::epsilon());
        QCOMPARE(fmath::exp2(31_fix), Fixed::max());

        Sweep ln;
        Sweep l2;
        Sweep l10;
        std::vector<Fixed> xs;
        for (int i = 0; i < 200000; ++i)
            xs.push_back(Fixed::fromRaw(static_cast<std::int64_t>(rng() >> (1 + rng() % 63))));
        for (const Fixed x : grid(0.5_fix, 2_fix, 100000, rng, 0))
            xs.push_back(x);
        for (const Fixed x : xs) {
            if (x.raw() <= 0)
                continue;
            ln.add(x, ulpError(fmath::log(x), std::log(toLd(x))));
            l2.add(x, ulpError(fmath::log2(x), std::log2(toLd(x))));
            l10.add(x, ulpError(fmath::log10(x), std::log10(toLd(x))));
        }
        report("log", ln);
        report("log2", l2);
        report("log10", l10);
        QVERIFY(ln.maxError <= 1.0L);
        QVERIFY(l2.maxError <= 1.0L);
        QVERIFY(l10.maxError <= 1.0L);
        QCOMPARE(fmath::log(Fixed::one()), Fixed::zero());
        QCOMPARE(fmath::log2(1024_fix), 10_fix);
        QCOMPARE(fmath::log2(Fixed::epsilon()), -32_fix);
        QCOMPARE(fmath::log10(1000_fix), 3_fix);
        QCOMPARE(fmath::log(Fixed::zero()), Fixed::min());
        QCOMPARE(fmath::log(-1_fix), Fixed::min());
    }

    void pow()
    {
        QCOMPARE(fmath::pow(3_fix, 2_fix), 9_fix);
        QCOMPARE(fmath::pow(-2_fix, 3_fix), -8_fix);
        QCOMPARE(fmath::pow(-2_fix, 2_fix), 4_fix);
        QCOMPARE(fmath::pow(2_fix, -2_fix), 0.25_fix);
        QCOMPARE(fmath::pow(2_fix, 31_fix), Fixed::max());
        QCOMPARE(fmath::pow(-2_fix, 31_fix), Fixed::min());
        QCOMPARE(fmath::pow(2_fix, 30_fix), Fixed::fromInt(1 << 30));
        QCOMPARE(fmath::pow(0.5_fix, 32_fix), Fixed::epsilon());
        QCOMPARE(fmath::pow(0.5_fix, 34_fix), Fixed::zero());
        QCOMPARE(fmath::pow(4_fix, 0.5_fix), 2_fix);
        QCOMPARE(fmath::pow(2_fix, 0.5_fix), fmath::sqrt(2_fix));
        QCOMPARE(fmath::pow(4_fix, 1.5_fix), 8_fix);
        QCOMPARE(fmath::pow(Fixed::zero(), Fixed::zero()), Fixed::one());
        QCOMPARE(fmath::pow(Fixed::zero(), 2_fix), Fixed::zero());
        QCOMPARE(fmath::pow(Fixed::zero(), -1_fix), Fixed::max());
        QCOMPARE(fmath::pow(-2_fix, 0.5_fix), Fixed::zero());
        QCOMPARE(fmath::pow(10_fix, 9_fix), Fixed::fromInt(1000000000));

        std::mt19937_64 rng(7);
        Sweep general;
        Sweep integer;
        for (int i = 0; i < 100000; ++i) {
            const Fixed x = Fixed::fromRaw(static_cast<std::int64_t>(rng() % (std::uint64_t(100) << 32)) + 1);
            const bool wantInteger = i % 2 == 0;
            const Fixed y = wantInteger ? Fixed::fromInt(std::int64_t(rng() % 41) - 20)
                                        : Fixed::fromRaw(static_cast<std::int64_t>(rng() % (std::uint64_t(16) << 32))
                                                         - (std::int64_t(8) << 32));
            const long double exact = std::pow(toLd(x), toLd(y));
            if (exact >= 2147483647.0L)
                continue;
            const long double error = ulpError(fmath::pow(x, y), exact);
            const long double ly = std::fabs(toLd(y) * std::log2(toLd(x)));
            const long double bound = wantInteger ? 1.5L + std::ldexp(exact, 32 - 58)
                                                  : 1.5L + std::ldexp(exact * (2 + ly), 32 - 58);
            (wantInteger ? integer : general).add(x, error);
            QVERIFY2(error <= bound, (x.toString() + "^" + y.toString()).c_str());
        }
        report("pow integer y", integer);
        report("pow", general);
    }

    void deterministicAcrossCalls()
    {
        // Same bits for the same input, whatever came before (no hidden state).
        const Fixed a = fmath::sin(123.456_fix);
        (void)fmath::exp(3_fix);
        QCOMPARE(fmath::sin(123.456_fix), a);
    }
};

QTEST_APPLESS_MAIN(FixedMathTest)
#include "FixedMathTest.moc"
