// terraform-provider-slow: a test provider whose every handler can be made to wait, so that
// StopProvider meets calls of every kind in flight (tfclient -stop-all).
//
// A call waits (a 10-minute timer, cancelled by StopProvider) when its input says "slow":
// the provider block's or the resource's or data source's `name`, the imported id, or the
// function argument. Otherwise each handler answers at once. The function `waiting` gives
// the number of calls waiting at that moment.
#include <rpcplugin/terraform/serve.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>

namespace tf = rpcplugin::terraform;
namespace asio = boost::asio;
using tf::type;
using tf::value;

namespace
{

std::int64_t waiting = 0; // the serving thread only

bool is_slow(const value& obj, const char* attr)
{
    const value* v = obj.is_known() && !obj.is_null() ? obj.get(attr) : nullptr;
    return v && v->is_known() && !v->is_null() && v->as_string() == "slow";
}

/// Waits until cancelled (or ten minutes) when `slow`.
asio::awaitable<void> wait_if(bool slow)
{
    if (!slow)
        co_return;
    ++waiting;
    struct leave
    {
        ~leave() { --waiting; }
    } guard;
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::minutes(10));
    co_await t.async_wait(asio::use_awaitable);
}

class thing final : public tf::resource
{
public:
    tf::schema get_schema() const override
    {
        return {0, tf::block_builder()
                       .required("name", type::string())
                       .computed("id", type::string())
                       .build()};
    }
    asio::awaitable<tf::diagnostics> validate(const value& config) override
    {
        co_await wait_if(is_slow(config, "name"));
        co_return tf::diagnostics{};
    }
    asio::awaitable<tf::plan_response> plan(const tf::plan_request& req) override
    {
        co_await wait_if(is_slow(req.config, "name"));
        co_return co_await tf::resource::plan(req);
    }
    asio::awaitable<tf::apply_response> apply(const tf::apply_request& req) override
    {
        co_await wait_if(is_slow(req.planned_state, "name"));
        if (req.planned_state.is_null())
            co_return tf::apply_response{value::null(req.prior_state.ty()), {}, {}};
        value name = *req.planned_state.get("name");
        co_return tf::apply_response{value::object({{"name", name}, {"id", name}}), {}, {}};
    }
    asio::awaitable<tf::read_response> read(const tf::read_request& req) override
    {
        co_await wait_if(is_slow(req.current_state, "name"));
        co_return tf::read_response{req.current_state, req.private_data, {}};
    }
    asio::awaitable<tf::import_response> import_state(const std::string& id) override
    {
        co_await wait_if(id == "slow");
        tf::import_response out;
        out.state = value::object({{"name", value::string(id)}, {"id", value::string(id)}});
        co_return out;
    }
    asio::awaitable<tf::state_response> upgrade(std::int64_t, const value& state) override
    {
        co_await wait_if(is_slow(state, "name"));
        co_return tf::state_response{state, {}};
    }
};

class thing_data final : public tf::data_source
{
public:
    tf::schema get_schema() const override
    {
        return {0, tf::block_builder()
                       .required("name", type::string())
                       .computed("value", type::string())
                       .build()};
    }
    asio::awaitable<tf::diagnostics> validate(const value& config) override
    {
        co_await wait_if(is_slow(config, "name"));
        co_return tf::diagnostics{};
    }
    asio::awaitable<tf::state_response> read(const value& config) override
    {
        co_await wait_if(is_slow(config, "name"));
        co_return tf::state_response{
            value::object({{"name", *config.get("name")}, {"value", value::string("read")}}), {}};
    }
};

class slow_provider final : public tf::provider
{
public:
    tf::schema get_schema() const override
    {
        return {0, tf::block_builder().optional("name", type::string()).build()};
    }
    asio::awaitable<tf::diagnostics> validate(const value& config) override
    {
        co_await wait_if(is_slow(config, "name"));
        co_return tf::diagnostics{};
    }
    asio::awaitable<tf::diagnostics> configure(const value& config, const std::string&) override
    {
        co_await wait_if(is_slow(config, "name"));
        co_return tf::diagnostics{};
    }
};

} // namespace

int main(int argc, char** argv)
{
    slow_provider p;
    p.add_resource("slow_thing", std::make_shared<thing>());
    p.add_data_source("slow_thing", std::make_shared<thing_data>());
    tf::function echo;
    echo.parameters = {{"input", type::string(), false, false, "Returned as it is."}};
    echo.returns = type::string();
    echo.summary = "Its argument (waits when it is \"slow\")";
    echo.call = [](const std::vector<value>& args) -> asio::awaitable<tf::result<value>>
    {
        co_await wait_if(args[0].as_string() == "slow");
        co_return args[0];
    };
    p.add_function("echo", std::move(echo));
    tf::function count;
    count.returns = type::number();
    count.summary = "How many calls are waiting";
    count.call = [](const std::vector<value>&) -> asio::awaitable<tf::result<value>>
    { co_return value::integer(waiting); };
    p.add_function("waiting", std::move(count));
    return tf::serve(p, argc, argv, {.registry_address = "registry.terraform.io/rpcplugin/slow"});
}
