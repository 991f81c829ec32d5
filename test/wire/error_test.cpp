#include "rpcplugin/wire/error.hpp"

#include <doctest/doctest.h>

#include <boost/system/result.hpp>

#include <sstream>
#include <string>

namespace wire = rpcplugin::wire;

TEST_SUITE("wire")
{
    TEST_CASE("a setting error names its variable, others print their message")
    {
        const wire::error setting = wire::setting_error("PLUGIN_MIN_PORT", "\"x\" is not a port");
        CHECK(setting.code == wire::errc::invalid_config);
        CHECK(setting.to_string() == "PLUGIN_MIN_PORT: \"x\" is not a port");
        const wire::error plain =
            wire::make_error(wire::errc::bad_certificate, "empty DER certificate");
        CHECK(plain.variable.empty());
        CHECK(plain.to_string() == "empty DER certificate");
        const wire::error bare{wire::errc::plugin_exited, {}, {}};
        std::ostringstream os;
        os << bare;
        CHECK(os.str() == "plugin exited before we could connect");
    }

    TEST_CASE("value() throws error_exception carrying the code and exactly the text")
    {
        boost::system::result<int, wire::error> r = wire::setting_error("PLUGIN_X", "is wrong");
        try
        {
            (void)r.value();
            FAIL("value() did not throw");
        }
        catch (const wire::error_exception& e)
        {
            CHECK(std::string(e.what()) == "PLUGIN_X: is wrong");
            CHECK(e.code() == wire::errc::invalid_config);
            CHECK(e.get() == r.error());
        }
    }
}
