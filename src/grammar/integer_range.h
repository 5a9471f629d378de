// GBNF for decimal numbers within bounds, written digit by digit (no leading zeros), so that
// minimum/maximum hold by construction. A missing bound means up to 16 digits.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace airlock::grammar {

// Integers v with lo <= v <= hi (JSON integer syntax).
std::string integer_range_gbnf(std::optional<int64_t> lo, std::optional<int64_t> hi);
// Numbers v with lo <= v <= hi, with an optional fraction and no exponent.
std::string bounded_number_gbnf(std::optional<int64_t> lo, std::optional<int64_t> hi);

}  // namespace airlock::grammar
