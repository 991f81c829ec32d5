#include "rpcplugin/host/line_buffer.hpp"

namespace rpcplugin::host
{
namespace
{
std::string strip_cr(std::string_view line)
{
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return std::string(line);
}
} // namespace

std::optional<std::string> line_buffer::next_line()
{
    std::string_view rest(pending_.data() + start_, pending_.size() - start_);
    std::optional<std::string> out;
    const std::size_t nl = rest.find('\n');
    if (nl != std::string_view::npos && nl <= max_line_)
    {
        out = strip_cr(rest.substr(0, nl));
        start_ += nl + 1;
    }
    else if (rest.size() > max_line_)
    {
        out = std::string(rest.substr(0, max_line_));
        start_ += max_line_;
    }
    // Compact once the consumed prefix dominates, so appends stay amortised O(n).
    if (start_ > 0 && start_ * 2 >= pending_.size())
    {
        pending_.erase(0, start_);
        start_ = 0;
    }
    return out;
}

std::optional<std::string> line_buffer::finish()
{
    std::string_view rest(pending_.data() + start_, pending_.size() - start_);
    std::optional<std::string> out;
    if (!rest.empty())
        out = strip_cr(rest);
    pending_.clear();
    start_ = 0;
    return out;
}
} // namespace rpcplugin::host
