#include "rpcplugin/plugin/hclog.hpp"

#include "rpcplugin/wire/json.hpp"

#include <array>
#include <ctime>
#include <map>
#include <utility>

namespace rpcplugin::plugin
{
namespace
{
namespace chrono = std::chrono;

void append_digits(std::string& out, long long value, int width)
{
    std::array<char, 20> buf{};
    int n = 0;
    do
    {
        buf[static_cast<std::size_t>(n++)] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0 && n < static_cast<int>(buf.size()));
    for (int k = n; k < width; ++k)
        out += '0';
    while (n > 0)
        out += buf[static_cast<std::size_t>(--n)];
}

constexpr std::string_view reserved_keys[] = {"@level", "@message", "@module", "@timestamp"};

bool is_reserved(std::string_view key) noexcept
{
    for (std::string_view r : reserved_keys)
    {
        if (key == r)
            return true;
    }
    return false;
}
} // namespace

chrono::minutes local_utc_offset(chrono::system_clock::time_point t)
{
    const std::time_t seconds = chrono::system_clock::to_time_t(t);
    std::tm local{};
    if (::localtime_r(&seconds, &local) == nullptr)
        return chrono::minutes{0};
    return chrono::duration_cast<chrono::minutes>(chrono::seconds{local.tm_gmtoff});
}

std::string format_hclog_timestamp(chrono::system_clock::time_point t, chrono::minutes utc_offset)
{
    const auto local = chrono::floor<chrono::microseconds>(t) + utc_offset;
    const auto day = chrono::floor<chrono::days>(local);
    const chrono::year_month_day ymd{day};
    const chrono::hh_mm_ss<chrono::microseconds> tod{local - day};

    std::string out;
    out.reserve(32);
    const int year = static_cast<int>(ymd.year());
    if (year < 0)
        out += '-';
    append_digits(out, year < 0 ? -year : year, 4);
    out += '-';
    append_digits(out, static_cast<unsigned>(ymd.month()), 2);
    out += '-';
    append_digits(out, static_cast<unsigned>(ymd.day()), 2);
    out += 'T';
    append_digits(out, tod.hours().count(), 2);
    out += ':';
    append_digits(out, tod.minutes().count(), 2);
    out += ':';
    append_digits(out, tod.seconds().count(), 2);
    out += '.';
    append_digits(out, tod.subseconds().count(), 6);
    const auto offset = utc_offset.count();
    if (offset == 0)
        out += 'Z';
    else
    {
        out += offset < 0 ? '-' : '+';
        const auto magnitude = offset < 0 ? -offset : offset;
        append_digits(out, magnitude / 60, 2);
        out += ':';
        append_digits(out, magnitude % 60, 2);
    }
    return out;
}

std::string format_hclog_line(log_level level, std::string_view module, std::string_view message,
                              std::initializer_list<log_field> fields, std::string_view timestamp)
{
    // Go's encoding/json writes map keys in byte order; "@..." keys sort before letters and
    // digits but after some punctuation, so everything goes through one ordered map.
    std::map<std::string, std::string_view, std::less<>> members;
    members.emplace("@level", to_string(level));
    members.emplace("@message", message);
    members.emplace("@timestamp", timestamp);
    if (!module.empty())
        members.emplace("@module", module);
    for (const auto& [key, value] : fields)
    {
        std::string name = is_reserved(key) ? "_" + std::string(key) : std::string(key);
        members.insert_or_assign(std::move(name), value);
    }

    std::string line;
    line.reserve(96 + message.size());
    line += '{';
    bool first = true;
    for (const auto& [key, value] : members)
    {
        if (!first)
            line += ',';
        first = false;
        wire::append_json_string(line, key);
        line += ':';
        wire::append_json_string(line, value);
    }
    line += "}\n";
    return line;
}

logger::sink hclog_sink(hclog_writer writer, hclog_clock clock)
{
    if (!clock.now)
        clock.now = [] { return chrono::system_clock::now(); };
    if (!clock.utc_offset)
        clock.utc_offset = local_utc_offset;
    return [writer = std::move(writer), clock = std::move(clock)](
               log_level level, std::string_view module, std::string_view message,
               std::initializer_list<log_field> fields)
    {
        if (level == log_level::off)
            return;
        const auto now = clock.now();
        const std::string timestamp = format_hclog_timestamp(now, clock.utc_offset(now));
        writer(format_hclog_line(level, module, message, fields, timestamp));
    };
}
} // namespace rpcplugin::plugin
