#include "http2/detail/stream_ids.hpp"

#include <doctest/doctest.h>

using rpcplugin::http2::detail::stream_ids;

TEST_SUITE("http2")
{
    TEST_CASE("stream_ids: consecutive ids leave no gap")
    {
        stream_ids ids;
        for (int id = 1; id <= 99; id += 2)
        {
            REQUIRE(ids.is_new(id));
            ids.use(id);
        }
        CHECK(ids.highest() == 99);
        CHECK(ids.gaps() == 0);
        CHECK_FALSE(ids.is_new(97));
        for (int id = 1; id < 99; id += 2)
            REQUIRE_FALSE(ids.never_opened(id));
    }

    TEST_CASE("stream_ids: skipped ids are known as never opened")
    {
        stream_ids ids;
        ids.use(5); // skips 1 and 3
        ids.use(7);
        ids.use(13); // skips 9 and 11
        CHECK(ids.never_opened(1));
        CHECK(ids.never_opened(3));
        CHECK_FALSE(ids.never_opened(5));
        CHECK_FALSE(ids.never_opened(7));
        CHECK(ids.never_opened(9));
        CHECK(ids.never_opened(11));
        CHECK_FALSE(ids.never_opened(13));
        CHECK_FALSE(ids.never_opened(15)); // above: a new stream, not a lower one
        CHECK(ids.gaps() == 2);
    }

    TEST_CASE("stream_ids: memory is bounded; forgotten gaps are no longer reported")
    {
        stream_ids ids(3);
        for (int id = 3; id <= 3 + 4 * 10; id += 4) // every other odd id skipped
            ids.use(id);
        CHECK(ids.gaps() == 3);
        CHECK_FALSE(ids.never_opened(1)); // the oldest gaps were forgotten
        CHECK(ids.never_opened(ids.highest() - 2));
    }
}
