#include <rpcplugin/terraform/provider.hpp>

namespace rpcplugin::terraform
{

asio::awaitable<diagnostics> resource::validate(const value&)
{
    co_return diagnostics{};
}

asio::awaitable<plan_response> resource::plan(const plan_request& req)
{
    plan_response out;
    out.planned_private = req.prior_private;
    if (req.proposed_new_state.is_null() || !req.proposed_new_state.is_known())
    {
        out.planned_state = req.proposed_new_state;
        co_return out;
    }
    schema s = get_schema();
    type t = implied_type(s.body);
    value::entries attrs = req.proposed_new_state.items();
    for (const auto& a : s.body.attributes)
    {
        if (!a.computed)
            continue;
        const value* in_config = req.config.get(a.name);
        if (in_config && !in_config->is_null())
            continue;
        if (req.prior_state.is_null())
            for (auto& [name, v] : attrs)
                if (name == a.name)
                    v = value::unknown(t.find(a.name)->ty);
    }
    out.planned_state = value::object(t, std::move(attrs));
    if (!req.prior_state.is_null())
    {
        for (const auto& name : replace_on_change())
        {
            const value* before = req.prior_state.get(name);
            const value* after = out.planned_state.get(name);
            if (before && after && !(*before == *after))
                out.requires_replace.push_back({path_step::attr(name)});
        }
    }
    co_return out;
}

asio::awaitable<import_response> resource::import_state(const std::string&)
{
    import_response out;
    out.diags.push_back(
        diagnostic::error("Import not supported", "This resource type does not support import."));
    co_return out;
}

asio::awaitable<state_response> resource::upgrade(std::int64_t, const value& state)
{
    co_return state_response{state, {}};
}

asio::awaitable<diagnostics> data_source::validate(const value&)
{
    co_return diagnostics{};
}

asio::awaitable<diagnostics> provider::validate(const value&)
{
    co_return diagnostics{};
}

asio::awaitable<diagnostics> provider::configure(const value&, const std::string&)
{
    co_return diagnostics{};
}

void provider::add_resource(std::string type_name, std::shared_ptr<resource> r)
{
    resources_[std::move(type_name)] = std::move(r);
}

void provider::add_data_source(std::string type_name, std::shared_ptr<data_source> d)
{
    data_sources_[std::move(type_name)] = std::move(d);
}

void provider::add_function(std::string name, function f)
{
    functions_[std::move(name)] = std::move(f);
}

} // namespace rpcplugin::terraform
