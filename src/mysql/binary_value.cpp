#include "mysql/binary_value.h"

#include <charconv>
#include <cstdio>

namespace gp::mysql {

namespace {

constexpr uint32_t kMicrosPerSecond = 1000000;
constexpr uint8_t kDateLength = 4;
constexpr uint8_t kDateTimeLength = 7;
constexpr uint8_t kDateTimeMicrosLength = 11;
constexpr uint8_t kTimeLength = 8;
constexpr uint8_t kTimeMicrosLength = 12;
// Ten digits of hours keep days * 24 + hours within uint32 days.
constexpr size_t kMaxHourDigits = 10;

// Reads exactly `n` decimal digits (n <= 9) from the front of `s`.
std::optional<uint32_t> take_digits(std::string_view& s, size_t n) {
  if (s.size() < n) return std::nullopt;
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(s[i] - '0');
  }
  s.remove_prefix(n);
  return v;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

// "hh:mm:ss[.f{1,6}]" after the hours have been read; the rest of `s` must be
// exactly that.
bool take_minutes_seconds_fraction(std::string_view& s, Temporal& t) {
  auto minute = take_char(s, ':') ? take_digits(s, 2) : std::nullopt;
  auto second = minute && take_char(s, ':') ? take_digits(s, 2) : std::nullopt;
  if (!second || *minute > 59 || *second > 59) return false;
  t.minute = static_cast<uint8_t>(*minute);
  t.second = static_cast<uint8_t>(*second);
  if (take_char(s, '.')) {
    size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    if (digits == 0 || digits > 6) return false;
    uint32_t fraction = *take_digits(s, digits);
    for (size_t i = digits; i < 6; ++i) fraction *= 10;
    t.microsecond = fraction;
  }
  return s.empty();
}

std::string fraction_text(uint32_t microsecond, int decimals) {
  if (decimals < 1 || decimals > 6) {
    if (microsecond == 0) return "";
    decimals = 6;
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%06u", microsecond);
  return std::string(buf, 1 + static_cast<size_t>(decimals));
}

bool has_time(const Temporal& t) {
  return t.hour != 0 || t.minute != 0 || t.second != 0 || t.microsecond != 0;
}

// MySQL writes exponents without '+' and without leading zeros; std::to_chars
// writes "e+100" and "e-07".
std::string normalise_exponent(std::string s) {
  size_t e = s.find('e');
  if (e == std::string::npos) return s;
  size_t digits = e + 1;
  if (digits < s.size() && s[digits] == '+') {
    s.erase(digits, 1);
  } else if (digits < s.size() && s[digits] == '-') {
    ++digits;
  }
  while (digits + 1 < s.size() && s[digits] == '0') s.erase(digits, 1);
  return s;
}

}  // namespace

std::optional<BinaryForm> binary_form(ColumnType type) {
  switch (type) {
    case ColumnType::kNull:
      return BinaryForm::kNone;
    case ColumnType::kTiny:
      return BinaryForm::kInt1;
    case ColumnType::kShort:
    case ColumnType::kYear:
      return BinaryForm::kInt2;
    case ColumnType::kLong:
    case ColumnType::kInt24:
      return BinaryForm::kInt4;
    case ColumnType::kLongLong:
      return BinaryForm::kInt8;
    case ColumnType::kFloat:
      return BinaryForm::kFloat;
    case ColumnType::kDouble:
      return BinaryForm::kDouble;
    case ColumnType::kDate:
      return BinaryForm::kDate;
    case ColumnType::kDateTime:
    case ColumnType::kTimestamp:
      return BinaryForm::kDateTime;
    case ColumnType::kTime:
      return BinaryForm::kTime;
    case ColumnType::kDecimal:
    case ColumnType::kNewDecimal:
    case ColumnType::kVarchar:
    case ColumnType::kBit:
    case ColumnType::kJson:
    case ColumnType::kEnum:
    case ColumnType::kSet:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
    case ColumnType::kBlob:
    case ColumnType::kVarString:
    case ColumnType::kString:
    case ColumnType::kGeometry:
      return BinaryForm::kLengthEncoded;
    case ColumnType::kNewDate:
      break;
  }
  return std::nullopt;
}

bool is_byte_type(ColumnType type) {
  switch (type) {
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
    case ColumnType::kBlob:
    case ColumnType::kBit:
    case ColumnType::kGeometry:
      return true;
    default:
      return false;
  }
}

std::optional<Temporal> read_binary_datetime(PayloadReader& r) {
  auto length = r.int1();
  if (!length) return std::nullopt;
  Temporal t;
  if (*length == 0) return t;
  if (*length != kDateLength && *length != kDateTimeLength && *length != kDateTimeMicrosLength) {
    return std::nullopt;
  }
  auto body = r.bytes(*length);
  if (!body) return std::nullopt;
  PayloadReader b(*body);
  t.year = *b.int2();
  t.month = *b.int1();
  t.day = *b.int1();
  if (*length >= kDateTimeLength) {
    t.hour = *b.int1();
    t.minute = *b.int1();
    t.second = *b.int1();
  }
  if (*length == kDateTimeMicrosLength) t.microsecond = *b.int4();
  if (t.microsecond >= kMicrosPerSecond) return std::nullopt;
  return t;
}

std::optional<Temporal> read_binary_time(PayloadReader& r) {
  auto length = r.int1();
  if (!length) return std::nullopt;
  Temporal t;
  if (*length == 0) return t;
  if (*length != kTimeLength && *length != kTimeMicrosLength) return std::nullopt;
  auto body = r.bytes(*length);
  if (!body) return std::nullopt;
  PayloadReader b(*body);
  t.negative = *b.int1() != 0;
  t.days = *b.int4();
  t.hour = *b.int1();
  t.minute = *b.int1();
  t.second = *b.int1();
  if (*length == kTimeMicrosLength) t.microsecond = *b.int4();
  if (t.microsecond >= kMicrosPerSecond) return std::nullopt;
  return t;
}

void put_binary_datetime(std::string& out, const Temporal& t) {
  bool has_date = t.year != 0 || t.month != 0 || t.day != 0;
  if (t.microsecond != 0) {
    put_int1(out, kDateTimeMicrosLength);
  } else if (t.hour != 0 || t.minute != 0 || t.second != 0) {
    put_int1(out, kDateTimeLength);
  } else if (has_date) {
    put_int1(out, kDateLength);
  } else {
    put_int1(out, 0);
    return;
  }
  put_int2(out, t.year);
  put_int1(out, t.month);
  put_int1(out, t.day);
  if (!has_time(t)) return;
  put_int1(out, t.hour);
  put_int1(out, t.minute);
  put_int1(out, t.second);
  if (t.microsecond != 0) put_int4(out, t.microsecond);
}

void put_binary_time(std::string& out, const Temporal& t) {
  if (t.days == 0 && !has_time(t)) {
    put_int1(out, 0);
    return;
  }
  put_int1(out, t.microsecond != 0 ? kTimeMicrosLength : kTimeLength);
  put_int1(out, t.negative ? 1 : 0);
  put_int4(out, t.days);
  put_int1(out, t.hour);
  put_int1(out, t.minute);
  put_int1(out, t.second);
  if (t.microsecond != 0) put_int4(out, t.microsecond);
}

std::string format_date(const Temporal& t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", unsigned{t.year}, unsigned{t.month},
                unsigned{t.day});
  return buf;
}

std::string format_datetime(const Temporal& t, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, " %02u:%02u:%02u", unsigned{t.hour}, unsigned{t.minute},
                unsigned{t.second});
  return format_date(t) + buf + fraction_text(t.microsecond, decimals);
}

std::string format_time(const Temporal& t, int decimals, bool days_prefix) {
  char buf[48];
  const char* sign = t.negative ? "-" : "";
  if (days_prefix && t.days != 0) {
    std::snprintf(buf, sizeof buf, "%s%u %02u:%02u:%02u", sign, t.days, unsigned{t.hour},
                  unsigned{t.minute}, unsigned{t.second});
  } else {
    unsigned long long hours = uint64_t{t.days} * 24 + t.hour;
    std::snprintf(buf, sizeof buf, "%s%02llu:%02u:%02u", sign, hours, unsigned{t.minute},
                  unsigned{t.second});
  }
  return buf + fraction_text(t.microsecond, decimals);
}

std::optional<Temporal> parse_datetime_text(std::string_view s) {
  Temporal t;
  auto year = take_digits(s, 4);
  auto month = year && take_char(s, '-') ? take_digits(s, 2) : std::nullopt;
  auto day = month && take_char(s, '-') ? take_digits(s, 2) : std::nullopt;
  if (!day || *month > 12 || *day > 31) return std::nullopt;
  t.year = static_cast<uint16_t>(*year);
  t.month = static_cast<uint8_t>(*month);
  t.day = static_cast<uint8_t>(*day);
  if (s.empty()) return t;
  auto hour = take_char(s, ' ') ? take_digits(s, 2) : std::nullopt;
  if (!hour || *hour > 23) return std::nullopt;
  t.hour = static_cast<uint8_t>(*hour);
  if (!take_minutes_seconds_fraction(s, t)) return std::nullopt;
  return t;
}

std::optional<Temporal> parse_time_text(std::string_view s) {
  Temporal t;
  t.negative = take_char(s, '-');
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > kMaxHourDigits) return std::nullopt;
  uint64_t leading = 0;
  std::from_chars(s.data(), s.data() + digits, leading);
  s.remove_prefix(digits);
  if (take_char(s, ' ')) {
    auto hour = take_digits(s, 2);
    if (!hour || *hour > 23 || leading > UINT32_MAX) return std::nullopt;
    t.days = static_cast<uint32_t>(leading);
    t.hour = static_cast<uint8_t>(*hour);
  } else {
    t.days = static_cast<uint32_t>(leading / 24);
    t.hour = static_cast<uint8_t>(leading % 24);
  }
  if (!take_minutes_seconds_fraction(s, t)) return std::nullopt;
  return t;
}

std::string format_double(double v) {
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return normalise_exponent(std::string(buf, end));
}

std::string format_float(float v) {
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return normalise_exponent(std::string(buf, end));
}

}  // namespace gp::mysql
