#pragma once

#include "rpcplugin/http2/server_session.hpp"

#include <boost/container/small_vector.hpp>
#include <nghttp2/nghttp2.h>

#include <span>

namespace rpcplugin::http2::detail
{
/** nghttp2_nv views of header fields; nghttp2 copies them on submit. */
class nv_array
{
public:
    explicit nv_array(std::span<const header> headers)
    {
        nv_.reserve(headers.size());
        for (const auto& h : headers)
            nv_.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(h.name.data())),
                           reinterpret_cast<uint8_t*>(const_cast<char*>(h.value.data())),
                           h.name.size(), h.value.size(), NGHTTP2_NV_FLAG_NONE});
    }

    const nghttp2_nv* data() const noexcept { return nv_.data(); }
    std::size_t size() const noexcept { return nv_.size(); }

private:
    boost::container::small_vector<nghttp2_nv, 12> nv_;
};
} // namespace rpcplugin::http2::detail
