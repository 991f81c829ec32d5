#include "json_dom.hpp"

#include <boost/json/basic_parser_impl.hpp>

namespace rpcplugin::terraform::detail
{
namespace
{

namespace json = boost::json;
using boost::system::error_code;

struct dom_handler
{
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    std::vector<json_node> stack;  // open containers
    std::vector<std::string> keys; // pending key per open object
    std::string part;              // string, key or number text so far
    json_node root;
    bool done = false;

    void put(json_node n)
    {
        if (stack.empty())
        {
            root = std::move(n);
            done = true;
            return;
        }
        json_node& top = stack.back();
        if (top.k == json_node::kind::array)
            top.items.push_back(std::move(n));
        else
        {
            top.members.push_back(json_member{std::move(keys.back()), std::move(n)});
            keys.back().clear();
        }
    }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&)
    {
        stack.push_back(json_node{json_node::kind::array, false, {}, {}, {}});
        return true;
    }
    bool on_array_end(std::size_t, error_code&)
    {
        json_node n = std::move(stack.back());
        stack.pop_back();
        put(std::move(n));
        return true;
    }
    bool on_object_begin(error_code&)
    {
        stack.push_back(json_node{json_node::kind::object, false, {}, {}, {}});
        keys.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, error_code&)
    {
        json_node n = std::move(stack.back());
        stack.pop_back();
        keys.pop_back();
        put(std::move(n));
        return true;
    }
    bool on_string_part(std::string_view s, std::size_t, error_code&)
    {
        part.append(s);
        return true;
    }
    bool on_string(std::string_view s, std::size_t, error_code&)
    {
        part.append(s);
        json_node n{json_node::kind::string, false, std::move(part), {}, {}};
        part.clear();
        put(std::move(n));
        return true;
    }
    bool on_key_part(std::string_view s, std::size_t, error_code&)
    {
        part.append(s);
        return true;
    }
    bool on_key(std::string_view s, std::size_t, error_code&)
    {
        part.append(s);
        keys.back() = std::move(part);
        part.clear();
        return true;
    }
    bool on_number_part(std::string_view s, error_code&)
    {
        part.append(s);
        return true;
    }
    bool number(std::string_view s)
    {
        part.append(s);
        json_node n{json_node::kind::number, false, std::move(part), {}, {}};
        part.clear();
        put(std::move(n));
        return true;
    }
    bool on_int64(std::int64_t, std::string_view s, error_code&) { return number(s); }
    bool on_uint64(std::uint64_t, std::string_view s, error_code&) { return number(s); }
    bool on_double(double, std::string_view s, error_code&) { return number(s); }
    bool on_bool(bool b, error_code&)
    {
        put(json_node{json_node::kind::boolean, b, {}, {}, {}});
        return true;
    }
    bool on_null(error_code&)
    {
        put(json_node{});
        return true;
    }
    bool on_comment_part(std::string_view, error_code&) { return true; }
    bool on_comment(std::string_view, error_code&) { return true; }
};

} // namespace

result<json_node> parse_json(std::string_view text, std::size_t max_depth)
{
    json::parse_options opt;
    opt.max_depth = max_depth;
    json::basic_parser<dom_handler> p(opt);
    error_code ec;
    std::size_t n = p.write_some(false, text.data(), text.size(), ec);
    if (!ec && n != text.size())
        return error{{}, "invalid JSON: trailing data after the value"};
    if (ec)
        return error{{}, "invalid JSON: " + ec.message()};
    if (!p.handler().done)
        return error{{}, "invalid JSON: incomplete document"};
    return std::move(p.handler().root);
}

} // namespace rpcplugin::terraform::detail
