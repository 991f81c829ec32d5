#include "rpcplugin/grpc/compression.hpp"

#include "rpcplugin/detail/text.hpp"
#include "rpcplugin/grpc/error.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>

namespace rpcplugin::grpc
{

namespace
{

constexpr int gzip_window_bits = 15 + 16;
constexpr int zlib_window_bits = 15;

/** Largest chunk handed to zlib at once; its counters are `uInt`. */
constexpr std::size_t max_zlib_chunk = std::numeric_limits<uInt>::max();

/** First output buffer size when inflating, before doubling. */
constexpr std::size_t initial_inflate_size = 16 * 1024;

constexpr char to_lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
    {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i)
    {
        if (to_lower(a[i]) != to_lower(b[i]))
        {
            return false;
        }
    }
    return true;
}

int window_bits(encoding e) noexcept
{
    return e == encoding::gzip ? gzip_window_bits : zlib_window_bits;
}

/** Owns a deflate stream. */
struct deflater
{
    z_stream stream{};
    bool ready = false;

    explicit deflater(encoding e) noexcept
    {
        ready = deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits(e), 8,
                             Z_DEFAULT_STRATEGY) == Z_OK;
    }

    ~deflater()
    {
        if (ready)
        {
            deflateEnd(&stream);
        }
    }

    deflater(const deflater&) = delete;
    deflater& operator=(const deflater&) = delete;
};

/** Owns an inflate stream. */
struct inflater
{
    z_stream stream{};
    bool ready = false;

    explicit inflater(encoding e) noexcept
    {
        ready = inflateInit2(&stream, window_bits(e)) == Z_OK;
    }

    ~inflater()
    {
        if (ready)
        {
            inflateEnd(&stream);
        }
    }

    inflater(const inflater&) = delete;
    inflater& operator=(const inflater&) = delete;
};

Bytef* as_bytef(const unsigned char* p) noexcept
{
    // zlib's next_in is not const-qualified (without ZLIB_CONST) but is never written.
    return const_cast<Bytef*>(p);
}

// The input of a deflate or inflate run, handed to zlib in pieces of at most max_zlib_chunk
// bytes (avail_in is 32 bits).
struct zlib_input
{
    const unsigned char* next;
    std::size_t left;

    // Gives zlib the next piece once it has taken the last one.
    void refill(z_stream& zs) noexcept
    {
        if (zs.avail_in != 0 || left == 0)
            return;
        const std::size_t chunk = std::min(left, max_zlib_chunk);
        zs.next_in = as_bytef(next);
        zs.avail_in = static_cast<uInt>(chunk);
        next += chunk;
        left -= chunk;
    }
};

// Points zlib's output at the free part of `out` after `produced` (at most max_zlib_chunk
// bytes); returns its size.
std::size_t expose_output(z_stream& zs, std::string& out, std::size_t produced) noexcept
{
    const std::size_t room = std::min(out.size() - produced, max_zlib_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    return room;
}

boost::system::result<std::string> deflate_all(encoding e, std::span<const unsigned char> data)
{
    deflater d(e);
    if (!d.ready)
    {
        return make_error_code(errc::bad_compression);
    }
    z_stream& zs = d.stream;

    std::string out;
    const std::size_t bound = data.size() <= max_zlib_chunk
                                  ? deflateBound(&zs, static_cast<uLong>(data.size()))
                                  : data.size() + data.size() / 1000 + 64;
    out.resize(std::max<std::size_t>(bound, 64));

    zlib_input input{data.data(), data.size()};
    std::size_t produced = 0;
    for (;;)
    {
        input.refill(zs);
        if (produced == out.size())
        {
            out.resize(out.size() * 2);
        }
        const std::size_t room = expose_output(zs, out, produced);

        const int flush = input.left == 0 ? Z_FINISH : Z_NO_FLUSH;
        const int rc = deflate(&zs, flush);
        produced += room - zs.avail_out;
        if (rc == Z_STREAM_END)
        {
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR)
        {
            return make_error_code(errc::bad_compression);
        }
    }
    out.resize(produced);
    return out;
}

boost::system::result<std::string> inflate_all(encoding e, std::span<const unsigned char> data,
                                               std::size_t max_size)
{
    inflater inf(e);
    if (!inf.ready)
    {
        return make_error_code(errc::bad_compression);
    }
    z_stream& zs = inf.stream;

    // Allow one byte past the limit: producing it proves the output is too large, while a
    // stream of exactly max_size bytes still has room to report its end.
    const std::size_t cap = max_size == SIZE_MAX ? max_size : max_size + 1;

    std::string out;
    zlib_input input{data.data(), data.size()};
    std::size_t produced = 0;
    for (;;)
    {
        input.refill(zs);
        if (produced == out.size())
        {
            if (produced >= cap)
            {
                return make_error_code(errc::decompressed_too_large);
            }
            // Grow geometrically, never beyond the cap.
            const std::size_t grown =
                out.empty() ? std::max(initial_inflate_size, data.size() * 4) : out.size() * 2;
            out.resize(std::min(grown, cap));
        }
        const std::size_t room = expose_output(zs, out, produced);

        const int rc = inflate(&zs, Z_NO_FLUSH);
        produced += room - zs.avail_out;
        if (produced > max_size)
        {
            return make_error_code(errc::decompressed_too_large);
        }
        if (rc == Z_STREAM_END)
        {
            if (zs.avail_in != 0 || input.left != 0)
            {
                // Trailing bytes after the end of the compressed stream.
                return make_error_code(errc::bad_compression);
            }
            break;
        }
        if (rc == Z_BUF_ERROR)
        {
            if (zs.avail_in == 0 && input.left == 0)
            {
                // Input exhausted before the end of the stream: truncated.
                return make_error_code(errc::bad_compression);
            }
            continue;
        }
        if (rc != Z_OK)
        {
            return make_error_code(errc::bad_compression);
        }
        if (zs.avail_in == 0 && input.left == 0 && zs.avail_out != 0)
        {
            // All input consumed, output room left, yet no end of stream: truncated.
            return make_error_code(errc::bad_compression);
        }
    }
    out.resize(produced);
    return out;
}

} // namespace

std::optional<encoding> parse_encoding(std::string_view name) noexcept
{
    for (const encoding e : {encoding::identity, encoding::gzip, encoding::deflate})
    {
        if (iequals(name, to_string(e)))
        {
            return e;
        }
    }
    return std::nullopt;
}

std::string_view to_string(encoding e) noexcept
{
    switch (e)
    {
    case encoding::identity: return "identity";
    case encoding::gzip: return "gzip";
    case encoding::deflate: return "deflate";
    }
    return "identity";
}

boost::system::result<std::string> compress(encoding e, std::span<const unsigned char> data)
{
    if (e == encoding::identity)
    {
        return std::string(reinterpret_cast<const char*>(data.data()), data.size());
    }
    return deflate_all(e, data);
}

boost::system::result<std::string> decompress(encoding e, std::span<const unsigned char> data,
                                              std::size_t max_size)
{
    if (e == encoding::identity)
    {
        if (data.size() > max_size)
        {
            return make_error_code(errc::decompressed_too_large);
        }
        return std::string(reinterpret_cast<const char*>(data.data()), data.size());
    }
    return inflate_all(e, data, max_size);
}

std::string accept_encoding_header()
{
    return "identity,gzip,deflate";
}

bool accepts(std::string_view accept_encoding_header_value, encoding e) noexcept
{
    if (e == encoding::identity)
    {
        return true;
    }
    const std::string_view wanted = to_string(e);
    std::string_view rest = accept_encoding_header_value;
    while (!rest.empty())
    {
        const std::size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (const std::size_t semi = item.find(';'); semi != std::string_view::npos)
        {
            item = item.substr(0, semi);
        }
        if (iequals(rpcplugin::detail::trim(item, " \t"), wanted))
        {
            return true;
        }
    }
    return false;
}

} // namespace rpcplugin::grpc
