// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/Fixed.h"

#include <QTest>

#include <cmath>
#include <cstdlib>
#include <random>
#include <type_traits>

using namespace metatopia;
using namespace metatopia::literals;

namespace {

// Exact reference for a*b and a/b, rounded half away from zero, wrapped to 64 bits.
std::int64_t referenceMul(std::int64_t a, std::int64_t b)
{
    const __int128 p = static_cast<__int128>(a) * b;
    const __int128 mag = p < 0 ? -p : p;
    __int128 q = mag >> 32;
    if ((mag & 0xffffffff) >= 0x80000000)
        ++q;
    return static_cast<std::int64_t>(static_cast<unsigned __int128>(p < 0 ? -q : q));
}

std::int64_t referenceDiv(std::int64_t a, std::int64_t b)
{
    const __int128 n = static_cast<__int128>(a) * (static_cast<__int128>(1) << 32);
    const __int128 d = b;
    const __int128 an = n < 0 ? -n : n;
    const __int128 ad = d < 0 ? -d : d;
    __int128 q = an / ad;
    if (2 * (an - q * ad) >= ad)
        ++q;
    return static_cast<std::int64_t>(static_cast<unsigned __int128>(((n < 0) != (d < 0)) ? -q : q));
}

std::int64_t randomRaw(std::mt19937_64 &rng)
{
    // Mix magnitudes: full range, small values, near-integers.
    switch (rng() % 4) {
    case 0:
        return static_cast<std::int64_t>(rng());
    case 1:
        return static_cast<std::int64_t>(rng()) >> (rng() % 63);
    case 2:
        return (static_cast<std::int64_t>(rng() % 2001) - 1000) * Fixed::RawOne
            + static_cast<std::int64_t>(rng() % 5) - 2;
    default:
        return static_cast<std::int64_t>(rng() % 2000001) - 1000000;
    }
}

} // namespace

class FixedTest : public QObject
{
    Q_OBJECT

private slots:
    void literalsAreExact()
    {
        static_assert((0.5_fix).raw() == Fixed::RawOne / 2);
        static_assert((1.0_fix).raw() == Fixed::RawOne);
        static_assert((2.0_fix).raw() == 2 * Fixed::RawOne);
        static_assert((3_fix).raw() == 3 * Fixed::RawOne);
        static_assert((0.1_fix).raw() == 429496730); // 0.1 * 2^32 = 429496729.6
        static_assert((1e-3_fix).raw() == 4294967); // 4294967.296
        static_assert((0x1p-32_fix).raw() == 1);
        // Digit separators (spelled as characters: moc's tokenizer does not know them).
        static_assert(operator""_fix<'1', '\'', '0', '0', '0', '.', '2', '5'>().raw() == 1000 * Fixed::RawOne + Fixed::RawOne / 4);
        static_assert((2147483647.9999999998_fix).raw() == INT64_MAX);
        QCOMPARE((0.75_fix).toString(), std::string("0.75"));
    }

    void wrapAndSaturate()
    {
        QCOMPARE((Fixed::max() + Fixed::epsilon()), Fixed::min());
        QCOMPARE((Fixed::min() - Fixed::epsilon()), Fixed::max());
        QCOMPARE(-Fixed::min(), Fixed::min());
        QCOMPARE(Fixed::fromInt(5) / Fixed::zero(), Fixed::max());
        QCOMPARE(Fixed::fromInt(-5) / Fixed::zero(), Fixed::min());
        QCOMPARE(Fixed::zero() / Fixed::zero(), Fixed::zero());
        QVERIFY(!Fixed::checkedDiv(Fixed::one(), Fixed::zero()));
        QVERIFY(!Fixed::checkedDiv(Fixed::min(), Fixed::fromInt(-1)));
        QCOMPARE(Fixed::min() / Fixed::fromInt(-1), Fixed::min()); // 2^31 wraps
        QVERIFY(!Fixed::checkedAdd(Fixed::max(), Fixed::epsilon()));
        QVERIFY(!Fixed::checkedSub(Fixed::min(), Fixed::epsilon()));
        QVERIFY(!Fixed::checkedMul(Fixed::fromInt(65536), Fixed::fromInt(32768)));
        QCOMPARE(*Fixed::checkedMul(Fixed::fromInt(65536), Fixed::fromInt(32767)),
                 Fixed::fromInt(65536 * 32767));
        QCOMPARE(*Fixed::checkedDiv(Fixed::min(), Fixed::one()), Fixed::min());
        QCOMPARE(Fixed::min().toInt(), -2147483648LL);
        QCOMPARE(Fixed::max().toInt(), 2147483647LL);
        QCOMPARE(Fixed::fromRaw(-1).toInt(), 0LL);
        QCOMPARE(Fixed::fromRaw(-Fixed::RawOne - 1).toInt(), -1LL);
    }

    void roundingRules()
    {
        const Fixed half = Fixed::fromRaw(Fixed::RawOne / 2);
        QCOMPARE(half.round(), Fixed::one());
        QCOMPARE((-half).round(), -Fixed::one());
        QCOMPARE(Fixed::fromRaw(Fixed::RawOne / 2 - 1).round(), Fixed::zero());
        QCOMPARE((Fixed::fromInt(-3) + Fixed::fromRaw(1)).floor(), Fixed::fromInt(-3));
        QCOMPARE((Fixed::fromInt(-3) + Fixed::fromRaw(1)).ceil(), Fixed::fromInt(-2));
        // Products that land exactly on half an ulp round away from zero.
        const Fixed e = Fixed::epsilon();
        QCOMPARE(e * half, e);
        QCOMPARE((-e) * half, -e);
        QCOMPARE(Fixed::fromRatio(1, 3).raw(), 1431655765);
        QCOMPARE(Fixed::fromRatio(2, 3).raw(), 2863311531);
        QCOMPARE(Fixed::fromRatio(-2, 3).raw(), -2863311531);
    }

    void mulDivMatchReference()
    {
        std::mt19937_64 rng(12345);
        for (int i = 0; i < 200000; ++i) {
            const std::int64_t a = randomRaw(rng);
            std::int64_t b = randomRaw(rng);
            QCOMPARE((Fixed::fromRaw(a) * Fixed::fromRaw(b)).raw(), referenceMul(a, b));
            if (b == 0)
                b = 1;
            QCOMPARE((Fixed::fromRaw(a) / Fixed::fromRaw(b)).raw(), referenceDiv(a, b));
            const auto checked = Fixed::checkedDiv(Fixed::fromRaw(a), Fixed::fromRaw(b));
            if (checked)
                QCOMPARE(checked->raw(), referenceDiv(a, b));
        }
    }

    void luaModulo()
    {
        QCOMPARE(mod(Fixed::fromInt(5), Fixed::fromInt(3)), Fixed::fromInt(2));
        QCOMPARE(mod(Fixed::fromInt(-5), Fixed::fromInt(3)), Fixed::fromInt(1));
        QCOMPARE(mod(Fixed::fromInt(5), Fixed::fromInt(-3)), Fixed::fromInt(-1));
        QCOMPARE(mod(Fixed::fromInt(-5), Fixed::fromInt(-3)), Fixed::fromInt(-2));
        QCOMPARE(mod(5.5_fix, 2_fix), 1.5_fix);
        QCOMPARE(mod(-5.5_fix, 2_fix), 0.5_fix);
        QCOMPARE(mod(Fixed::fromInt(6), Fixed::fromInt(-3)), Fixed::zero());
        QCOMPARE(mod(Fixed::one(), Fixed::zero()), Fixed::zero());
        QCOMPARE(mod(Fixed::min(), Fixed::fromRaw(-1)), Fixed::zero());
        std::mt19937_64 rng(7);
        for (int i = 0; i < 100000; ++i) {
            const Fixed a = Fixed::fromRaw(randomRaw(rng));
            const Fixed b = Fixed::fromRaw(randomRaw(rng));
            if (b == Fixed::zero())
                continue;
            const Fixed m = mod(a, b);
            // Same sign as b (or zero), smaller in magnitude, and a - m a multiple of b.
            QVERIFY(m == Fixed::zero() || ((m.raw() < 0) == (b.raw() < 0)));
            QVERIFY(m.abs() < b.abs() || b == Fixed::min());
            const __int128 diff = static_cast<__int128>(a.raw()) - m.raw();
            QCOMPARE(static_cast<std::int64_t>(diff % b.raw()), std::int64_t(0));
        }
    }

    void floorDivision()
    {
        QCOMPARE(floorDiv(7_fix, 2_fix), 3_fix);
        QCOMPARE(floorDiv(-7_fix, 2_fix), -4_fix);
        QCOMPARE(floorDiv(7_fix, -2_fix), -4_fix);
        QCOMPARE(floorDiv(-7_fix, -2_fix), 3_fix);
        QCOMPARE(floorDiv(1_fix, 0_fix), Fixed::max());
        // The exact quotient is just below 3; the rounded one is 3.
        const Fixed a = 3_fix - Fixed::epsilon();
        QCOMPARE(a / 1_fix, a);
        QCOMPARE(floorDiv(a, 1_fix), 2_fix);
        QCOMPARE(floorDiv(Fixed::fromRaw(3 * 1000000000LL - 1), Fixed::fromRaw(1000000000)), 2_fix);
        std::mt19937_64 rng(8);
        for (int i = 0; i < 100000; ++i) {
            const Fixed x = Fixed::fromRaw(randomRaw(rng) >> 2);
            const Fixed y = Fixed::fromRaw((randomRaw(rng) >> 2) | 1);
            const Fixed q = floorDiv(x, y);
            __int128 exact = x.raw() / y.raw();
            if (x.raw() % y.raw() != 0 && ((x.raw() < 0) != (y.raw() < 0)))
                --exact;
            if (exact >= INT32_MIN && exact <= INT32_MAX) {
                QCOMPARE(q.toInt(), static_cast<std::int64_t>(exact));
                // x == q*y + mod(x, y), exactly.
                QVERIFY(static_cast<__int128>(x.raw()) == exact * y.raw() + mod(x, y).raw());
            }
        }
    }

    void ratios()
    {
        QCOMPARE(Fixed::fromRatio(1, 3).raw(), 1431655765);
        QCOMPARE(Fixed::fromRatio(-7, 2), -3.5_fix);
        QCOMPARE(Fixed::fromRatio(10000000000LL, 10), 1000000000_fix); // n beyond the range is fine
        QCOMPARE(Fixed::fromRatio(1, 0), Fixed::max());
        QCOMPARE(Fixed::fromRatio(-1, 0), Fixed::min());
        static_assert(Fixed::fromRatio(1, 4) == 0.25_fix);
    }

    void toStringShortestRoundTrips()
    {
        QCOMPARE(Fixed::fromInt(3).toString(), std::string("3"));
        QCOMPARE(Fixed::fromRatio(3, 2).toString(), std::string("1.5"));
        QCOMPARE(Fixed::fromRatio(-1, 10).toString(), std::string("-0.1"));
        QCOMPARE(Fixed::epsilon().toString(), std::string("0.0000000002"));
        QCOMPARE(Fixed::min().toString(), std::string("-2147483648"));
        QCOMPARE(Fixed::max().toString(), std::string("2147483647.9999999998"));
        std::mt19937_64 rng(99);
        std::vector<std::int64_t> raws = {0, 1, -1, INT64_MAX, INT64_MIN, INT64_MIN + 1,
                                          Fixed::RawOne - 1, -Fixed::RawOne + 1};
        for (int i = 0; i < 100000; ++i)
            raws.push_back(randomRaw(rng));
        for (const std::int64_t raw : raws) {
            const Fixed f = Fixed::fromRaw(raw);
            const std::string text = f.toString();
            const auto back = Fixed::parse(text);
            QVERIFY2(back.has_value(), text.c_str());
            QCOMPARE(back->raw(), raw);
            // Shortest: dropping the last digit must not read back the same.
            const auto point = text.find('.');
            if (point != std::string::npos && text.size() - point > 2) {
                const std::string shorter = Fixed::fromRaw(raw).toString(
                    int(text.size() - point - 2));
                QVERIFY(Fixed::parse(shorter)->raw() != raw);
            }
        }
    }

    void toStringDigits()
    {
        QCOMPARE((2.5_fix).toString(0), std::string("3"));
        QCOMPARE((-2.5_fix).toString(0), std::string("-3"));
        QCOMPARE((1.0_fix / 3_fix).toString(5), std::string("0.33333"));
        QCOMPARE((2.0_fix / 3_fix).toString(3), std::string("0.667"));
        QCOMPARE((0.125_fix).toString(2), std::string("0.13"));
        QCOMPARE((0.5_fix).toString(35), std::string("0.50000000000000000000000000000000000"));
        QCOMPARE(Fixed::epsilon().toString(32), std::string("0.00000000023283064365386962890625"));
        QCOMPARE((-0.001_fix).toString(2), std::string("-0.00"));
        QCOMPARE((9.9999_fix).toString(2), std::string("10.00"));
    }

    void parseForms()
    {
        QCOMPARE(Fixed::parse("1.5")->raw(), Fixed::RawOne * 3 / 2);
        QCOMPARE(Fixed::parse("-.5")->raw(), -Fixed::RawOne / 2);
        QCOMPARE(Fixed::parse("5.")->raw(), 5 * Fixed::RawOne);
        QCOMPARE(Fixed::parse("+2e3")->raw(), 2000 * Fixed::RawOne);
        QCOMPARE(Fixed::parse("25E-1")->raw(), 5 * Fixed::RawOne / 2);
        QCOMPARE(Fixed::parse("0x10")->raw(), 16 * Fixed::RawOne);
        QCOMPARE(Fixed::parse("0x.8")->raw(), Fixed::RawOne / 2);
        QCOMPARE(Fixed::parse("0X1P-1")->raw(), Fixed::RawOne / 2);
        QCOMPARE(Fixed::parse("0x1p-33")->raw(), 1); // tie rounds away from zero
        QCOMPARE(Fixed::parse("0x1p-34")->raw(), 0);
        QCOMPARE(Fixed::parse("-0x1p31")->raw(), INT64_MIN);
        QCOMPARE(Fixed::parse("-2147483648")->raw(), INT64_MIN);
        QCOMPARE(Fixed::parse("0.00000000011641532182693481445312")->raw(), 0); // just below half
        QCOMPARE(Fixed::parse("0.000000000116415321826934814453125")->raw(), 1); // exactly half
        QCOMPARE(Fixed::parse("1e-1000000000")->raw(), 0);
        QCOMPARE(Fixed::parse("0e1000000000")->raw(), 0);
        QCOMPARE(Fixed::parse("0.00001e5")->raw(), Fixed::RawOne);
        for (const char *bad : {"", "-", ".", "e5", "1e", "1e+", "0x", "0xg", "1.2.3", " 1", "1 ",
                                "inf", "nan", "--1", "1_0", "0x1p", "2147483648", "-2147483648.0000000002",
                                "1e10", "0x1p31", "99999999999999999999"}) {
            QVERIFY2(!Fixed::parse(bad), bad);
        }
        const auto prefix = Fixed::parsePrefix("  12.5abc");
        QCOMPARE(prefix.status, Fixed::ParseStatus::Ok);
        QCOMPARE(prefix.length, std::size_t(6));
        QCOMPARE(prefix.value, 12.5_fix);
        QCOMPARE(Fixed::parsePrefix("1e99").status, Fixed::ParseStatus::OutOfRange);
        QCOMPARE(Fixed::parsePrefix("1e").length, std::size_t(1));
    }

    void parseMatchesLongDouble()
    {
        // Independent reference: strtold keeps 64 significant bits; with integer parts below 2^16
        // that leaves 16 bits below the last Fixed bit, enough to decide the rounding except
        // within 2^-10 ulp of a tie, which is skipped.
        std::mt19937_64 rng(21);
        int compared = 0;
        for (int i = 0; i < 50000; ++i) {
            std::string text = std::to_string(rng() % (std::uint64_t(1) << 16));
            const int places = int(rng() % 19);
            if (places > 0) {
                text += '.';
                for (int k = 0; k < places; ++k)
                    text += char('0' + rng() % 10);
            }
            if (rng() % 2)
                text.insert(text.begin(), '-');
            const long double scaled = std::strtold(text.c_str(), nullptr) * 4294967296.0L;
            const long double fraction = std::fabs(scaled - std::trunc(scaled));
            if (std::fabs(fraction - 0.5L) < 1.0L / 1024)
                continue;
            const auto parsed = Fixed::parse(text);
            QVERIFY2(parsed.has_value(), text.c_str());
            QVERIFY2(parsed->raw() == std::llroundl(scaled), text.c_str());
            ++compared;
        }
        QVERIFY(compared > 45000);
    }

    void parseFuzz()
    {
        // Random strings over the characters numbers are made of: no crash, consumed lengths in
        // bounds, and whatever parses is stable under print-and-parse.
        const std::string alphabet = "0123456789+-.eEpPxXabcdfABCDF \t";
        std::mt19937_64 rng(31);
        for (int i = 0; i < 20000; ++i) {
            std::string text(rng() % 24, ' ');
            for (char &c : text)
                c = alphabet[rng() % alphabet.size()];
            const auto prefix = Fixed::parsePrefix(text);
            QVERIFY(prefix.length <= text.size());
            if (prefix.status == Fixed::ParseStatus::Malformed)
                QCOMPARE(prefix.length, std::size_t(0));
            if (const auto whole = Fixed::parse(text)) {
                QCOMPARE(prefix.status, Fixed::ParseStatus::Ok);
                QCOMPARE(prefix.value, *whole);
                QCOMPARE(Fixed::parse(whole->toString()), whole);
            }
        }
    }

    void constantAndRuntimeDivisionAgree()
    {
        // The x86-64 divq path and the portable 128-bit path (used in constant evaluation) must
        // give the same bits.
        constexpr Fixed q1 = Fixed::fromInt(1000) / Fixed::fromInt(3);
        constexpr Fixed q2 = Fixed::fromRaw(INT64_MAX) / Fixed::fromRaw(-12345678901LL);
        constexpr Fixed q3 = Fixed::fromRaw(-987654321987654LL) / Fixed::fromRaw(7);
        static_assert(std::is_trivial_v<Fixed> && std::is_standard_layout_v<Fixed>);
        volatile std::int64_t a = 1000 * Fixed::RawOne;
        volatile std::int64_t b = 3 * Fixed::RawOne;
        QCOMPARE((Fixed::fromRaw(a) / Fixed::fromRaw(b)).raw(), q1.raw());
        a = INT64_MAX;
        b = -12345678901LL;
        QCOMPARE((Fixed::fromRaw(a) / Fixed::fromRaw(b)).raw(), q2.raw());
        a = -987654321987654LL;
        b = 7;
        QCOMPARE((Fixed::fromRaw(a) / Fixed::fromRaw(b)).raw(), q3.raw());
        QCOMPARE(q1.raw(), referenceDiv(1000 * Fixed::RawOne, 3 * Fixed::RawOne));
    }

    void fromDouble()
    {
        QCOMPARE(Fixed::fromDouble(1.5), 1.5_fix);
        QCOMPARE(Fixed::fromDouble(-0.1), -0.1_fix);
        QCOMPARE(Fixed::fromDouble(1e300), Fixed::max());
        QCOMPARE(Fixed::fromDouble(-1e300), Fixed::min());
        QCOMPARE(Fixed::fromDouble(std::nan("")), Fixed::zero());
        QCOMPARE((1.25_fix).toDouble(), 1.25);
    }
};

QTEST_APPLESS_MAIN(FixedTest)
#include "FixedTest.moc"
