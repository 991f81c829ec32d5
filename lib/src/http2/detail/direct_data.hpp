#pragma once

#include <nghttp2/nghttp2.h>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace rpcplugin::http2::detail
{
/**
 * DATA frames written straight into the batch that `produce` is filling, instead of being
 * copied into nghttp2's frame buffer and then out of it (NGHTTP2_DATA_FLAG_NO_COPY).
 *
 * Within one nghttp2_session_mem_send call nghttp2 asks the data source for the payload
 * (the read callback: the observer copies the payload after a 9-byte placeholder at the
 * end of the batch) and then calls send_data with the frame header, which fills the
 * placeholder; nothing else is appended in between. Used by both session kinds.
 */
class direct_data
{
public:
    /** Binds the batch being filled for the duration of a `produce` call. */
    class binding
    {
    public:
        binding(direct_data& d, std::vector<unsigned char>& out, std::size_t max) noexcept
            : d_(d)
        {
            d_.out_ = &out;
            d_.max_ = max;
        }
        ~binding()
        {
            d_.abandon();
            d_.out_ = nullptr;
        }
        binding(const binding&) = delete;
        binding& operator=(const binding&) = delete;

    private:
        direct_data& d_;
    };

    /** True inside `produce`: DATA payloads can go straight to the batch. */
    bool active() const noexcept { return out_ != nullptr; }

    /** Read callback: room for up to `len` payload bytes after the frame header's place. */
    std::span<unsigned char> begin_frame(std::size_t len)
    {
        assert(active() && frame_ == npos);
        frame_ = out_->size();
        out_->resize(frame_ + frame_header_size + len);
        return {out_->data() + frame_ + frame_header_size, len};
    }

    /** Read callback: the observer wrote `n` bytes of the room. An empty frame keeps no
        placeholder: nghttp2 skips an empty DATA frame before trailers, and sends an empty
        END_STREAM frame through `send` with length 0. */
    void end_frame(std::size_t n) noexcept
    {
        if (n == 0)
        {
            out_->resize(frame_);
            frame_ = npos;
        }
        else
            out_->resize(frame_ + frame_header_size + n);
    }

    /** True between the read callback and `send` of a frame. */
    bool pending() const noexcept { return frame_ != npos; }

    /** Drops a frame whose header was never written (the session failed in between), so
        that no half-written frame reaches the peer. */
    void abandon() noexcept
    {
        if (active() && frame_ != npos)
            out_->resize(frame_);
        frame_ = npos;
    }

    /** send_data callback: writes the frame header; NGHTTP2_ERR_PAUSE once the batch is
        full, so that mem_send returns and the batch is written. */
    int send(const nghttp2_frame& frame, const std::uint8_t* framehd, std::size_t length) noexcept
    {
        if (!active() || frame.data.padlen > 0)
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        if (length == 0 && frame_ == npos)
            out_->insert(out_->end(), framehd, framehd + frame_header_size);
        else if (frame_ != npos && out_->size() == frame_ + frame_header_size + length)
            std::memcpy(out_->data() + frame_, framehd, frame_header_size);
        else
            return NGHTTP2_ERR_CALLBACK_FAILURE; // not the frame the read callback wrote
        frame_ = npos;
        return out_->size() >= max_ ? NGHTTP2_ERR_PAUSE : 0;
    }

private:
    static constexpr std::size_t frame_header_size = 9;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    std::vector<unsigned char>* out_ = nullptr;
    std::size_t max_ = 0;
    std::size_t frame_ = npos; // offset of the header placeholder of the frame in progress
};
} // namespace rpcplugin::http2::detail
