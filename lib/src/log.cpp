#include "rpcplugin/log.hpp"

#include <cstdio>
#include <string>

namespace rpcplugin
{
std::string_view to_string(log_level level) noexcept
{
    switch (level)
    {
    case log_level::trace: return "trace";
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    case log_level::off: return "off";
    }
    return "unknown";
}

logger::logger()
    : logger(log_level::info, stderr_text_sink())
{
}

logger::logger(log_level level, sink s)
    : level_(level)
    , sink_(std::move(s))
{
}

logger::sink stderr_text_sink()
{
    return [](log_level level, std::string_view module, std::string_view message,
              std::initializer_list<log_field> fields)
    {
        std::string line;
        line.reserve(64 + message.size());
        line += '[';
        for (char c : to_string(level))
            line += static_cast<char>(c - 'a' + 'A');
        line += "] ";
        line += module;
        line += ": ";
        line += message;
        for (const auto& [k, v] : fields)
        {
            line += ' ';
            line += k;
            line += '=';
            line += v;
        }
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stderr);
    };
}
} // namespace rpcplugin
