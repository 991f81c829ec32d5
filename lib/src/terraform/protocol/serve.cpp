// terraform::serve: a provider behind tfplugin6.Provider and tfplugin5.Provider on the
// plugin runtime. One template serves both protocols; traits name what differs.
#include <rpcplugin/terraform/protocol.hpp>
#include <rpcplugin/terraform/serve.hpp>

#include "kit.hpp"
#include "protocol_traits.hpp"

#include <rpcplugin/grpc/server.hpp>
#include <rpcplugin/grpc/server_context.hpp>
#include <rpcplugin/plugin/reattach.hpp>
#include <rpcplugin/plugin/server.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <variant>

namespace rpcplugin::terraform
{
namespace
{

using grpc::status;
using namespace boost::asio::experimental::awaitable_operators;

template <class Diags>
void put(const diagnostics& ds, Diags* out)
{
    for (const auto& d : ds)
        to_proto(d, *out->Add());
}

diagnostic stopped()
{
    return diagnostic::error(
        "Provider stopped",
        "The operation was cancelled because Terraform asked the provider to stop.");
}

diagnostic unknown_type(const std::string& what, const std::string& name)
{
    return diagnostic::error("Unknown " + what + " type",
                             "This provider does not have a " + what + " named \"" + name + "\".");
}

template <class DV>
bool encode_into(const value& v, const type& t, DV* out, diagnostics& diags, const char* what)
{
    auto r = encode(v, t, *out);
    if (!r)
    {
        diags.push_back(diagnostic::error(std::string("Provider produced an invalid ") + what,
                                          r.error().message, r.error().path));
        return false;
    }
    return true;
}

template <class P>
void register_protocol(grpc::server& srv, detail::kit& k)
{
    auto path = [](const char* m) { return std::string(P::prefix) + m; };
    using ctx = grpc::server_context;

    srv.add_unary<typename P::GetMetadata::Request, typename P::GetMetadata::Response>(
        path("GetMetadata"),
        [&k](ctx&, const auto&, auto& resp) -> asio::awaitable<status>
        {
            resp.mutable_server_capabilities()->set_plan_destroy(true);
            for (const auto& [name, r] : k.p_.resources())
                resp.add_resources()->set_type_name(name);
            for (const auto& [name, d] : k.p_.data_sources())
                resp.add_data_sources()->set_type_name(name);
            for (const auto& [name, f] : k.p_.functions())
                resp.add_functions()->set_name(name);
            co_return status();
        });

    srv.add_unary<typename P::GetProviderSchema::Request, typename P::GetProviderSchema::Response>(
        path(P::get_schema),
        [&k](ctx&, const auto&, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto add = [&](const schema& s, auto* out, const std::string& what)
            {
                auto r = to_proto(s, *out);
                if (!r)
                    diags.push_back(
                        diagnostic::error("Invalid schema for " + what, r.error().what()));
            };
            add(k.p_.get_schema(), resp.mutable_provider(), "the provider");
            for (const auto& [name, r] : k.p_.resources())
                add(r->get_schema(), &(*resp.mutable_resource_schemas())[name], name);
            for (const auto& [name, d] : k.p_.data_sources())
                add(d->get_schema(), &(*resp.mutable_data_source_schemas())[name], name);
            for (const auto& [name, f] : k.p_.functions())
                to_proto(f, (*resp.mutable_functions())[name]);
            resp.mutable_server_capabilities()->set_plan_destroy(true);
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::ValidateProvider::Request, typename P::ValidateProvider::Response>(
        path(P::validate_provider),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto cfg = decode(req.config(), k.provider_type_);
            if (!cfg)
                diags.push_back(decode_error(cfg.error(), "provider configuration"));
            else
            {
                auto r = co_await k.stoppable(k.p_.validate(*cfg));
                if (!r)
                    diags.push_back(stopped());
                else
                {
                    diags = std::move(*r);
                    if constexpr (requires { resp.mutable_prepared_config(); })
                        encode_into(*cfg, k.provider_type_, resp.mutable_prepared_config(), diags,
                                    "configuration");
                }
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::ValidateResource::Request, typename P::ValidateResource::Response>(
        path(P::validate_resource),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto it = k.p_.resources().find(req.type_name());
            if (it == k.p_.resources().end())
                diags.push_back(unknown_type("resource", req.type_name()));
            else if (auto cfg = decode(req.config(), k.resource_types_[req.type_name()]); !cfg)
                diags.push_back(decode_error(cfg.error(), "configuration"));
            else
            {
                auto r = co_await k.stoppable(it->second->validate(*cfg));
                if (!r)
                    diags.push_back(stopped());
                else
                    diags = std::move(*r);
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::ValidateData::Request, typename P::ValidateData::Response>(
        path(P::validate_data),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto it = k.p_.data_sources().find(req.type_name());
            if (it == k.p_.data_sources().end())
                diags.push_back(unknown_type("data source", req.type_name()));
            else if (auto cfg = decode(req.config(), k.data_types_[req.type_name()]); !cfg)
                diags.push_back(decode_error(cfg.error(), "configuration"));
            else
            {
                auto r = co_await k.stoppable(it->second->validate(*cfg));
                if (!r)
                    diags.push_back(stopped());
                else
                    diags = std::move(*r);
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::Configure::Request, typename P::Configure::Response>(
        path(P::configure),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto cfg = decode(req.config(), k.provider_type_);
            if (!cfg)
                diags.push_back(decode_error(cfg.error(), "provider configuration"));
            else
            {
                auto r = co_await k.stoppable(k.p_.configure(*cfg, req.terraform_version()));
                if (!r)
                    diags.push_back(stopped());
                else
                    diags = std::move(*r);
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::UpgradeResourceState::Request,
                  typename P::UpgradeResourceState::Response>(
        path("UpgradeResourceState"),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto it = k.p_.resources().find(req.type_name());
            if (it == k.p_.resources().end())
                diags.push_back(unknown_type("resource", req.type_name()));
            else if (req.raw_state().json().empty())
                diags.push_back(
                    diagnostic::error("Unsupported state format",
                                      "Only JSON state (Terraform 0.12 and later) is supported."));
            else
            {
                const type& t = k.resource_types_[req.type_name()];
                auto st = from_json(req.raw_state().json(), t);
                if (!st)
                    diags.push_back(decode_error(st.error(), "stored state"));
                else
                {
                    auto up = co_await k.stoppable(it->second->upgrade(req.version(), *st));
                    if (!up)
                    {
                        // Stopped: the stored state as read, with the error.
                        diags.push_back(stopped());
                        up = state_response{*st, {}};
                    }
                    diags.insert(diags.end(), up->diags.begin(), up->diags.end());
                    encode_into(up->state, t, resp.mutable_upgraded_state(), diags,
                                "upgraded state");
                }
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::ReadResource::Request, typename P::ReadResource::Response>(
        path("ReadResource"),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto it = k.p_.resources().find(req.type_name());
            if (it == k.p_.resources().end())
                diags.push_back(unknown_type("resource", req.type_name()));
            else
            {
                const type& t = k.resource_types_[req.type_name()];
                auto st = decode(req.current_state(), t);
                if (!st)
                    diags.push_back(decode_error(st.error(), "current state"));
                else
                {
                    read_request rr{*st, req.private_()};
                    auto r = co_await k.stoppable(it->second->read(rr));
                    if (!r)
                    {
                        diags.push_back(stopped());
                        r = read_response{*st, req.private_(), {}};
                    }
                    diags.insert(diags.end(), r->diags.begin(), r->diags.end());
                    encode_into(r->new_state, t, resp.mutable_new_state(), diags, "state");
                    resp.set_private_(r->private_data);
                }
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::PlanResourceChange::Request,
                  typename P::PlanResourceChange::Response>(
        path("PlanResourceChange"),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto it = k.p_.resources().find(req.type_name());
            if (it == k.p_.resources().end())
                diags.push_back(unknown_type("resource", req.type_name()));
            else
            {
                const type& t = k.resource_types_[req.type_name()];
                auto prior = decode(req.prior_state(), t);
                auto proposed = decode(req.proposed_new_state(), t);
                auto cfg = decode(req.config(), t);
                if (!prior)
                    diags.push_back(decode_error(prior.error(), "prior state"));
                else if (!proposed)
                    diags.push_back(decode_error(proposed.error(), "proposed new state"));
                else if (!cfg)
                    diags.push_back(decode_error(cfg.error(), "configuration"));
                else
                {
                    plan_request pr{*prior, *proposed, *cfg, req.prior_private()};
                    auto r = co_await k.stoppable(it->second->plan(pr));
                    if (!r)
                        diags.push_back(stopped());
                    else
                    {
                        diags = std::move(r->diags);
                        encode_into(r->planned_state, t, resp.mutable_planned_state(), diags,
                                    "plan");
                        for (const auto& p : r->requires_replace)
                            to_proto(p, *resp.add_requires_replace());
                        resp.set_planned_private(r->planned_private);
                    }
                }
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::ApplyResourceChange::Request,
                  typename P::ApplyResourceChange::Response>(
        path("ApplyResourceChange"),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto it = k.p_.resources().find(req.type_name());
            if (it == k.p_.resources().end())
                diags.push_back(unknown_type("resource", req.type_name()));
            else
            {
                const type& t = k.resource_types_[req.type_name()];
                auto prior = decode(req.prior_state(), t);
                auto planned = decode(req.planned_state(), t);
                auto cfg = decode(req.config(), t);
                if (!prior)
                    diags.push_back(decode_error(prior.error(), "prior state"));
                else if (!planned)
                    diags.push_back(decode_error(planned.error(), "planned state"));
                else if (!cfg)
                    diags.push_back(decode_error(cfg.error(), "configuration"));
                else
                {
                    apply_request ar{*prior, *planned, *cfg, req.planned_private()};
                    auto r = co_await k.stoppable(it->second->apply(ar));
                    if (!r)
                    {
                        // Stopped: what existed before is what exists now.
                        diags.push_back(stopped());
                        r = apply_response{*prior, req.planned_private(), {}};
                    }
                    diags.insert(diags.end(), r->diags.begin(), r->diags.end());
                    encode_into(r->new_state, t, resp.mutable_new_state(), diags, "new state");
                    resp.set_private_(r->private_data);
                }
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::ImportResourceState::Request,
                  typename P::ImportResourceState::Response>(
        path("ImportResourceState"),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto it = k.p_.resources().find(req.type_name());
            if (it == k.p_.resources().end())
                diags.push_back(unknown_type("resource", req.type_name()));
            else
            {
                const type& t = k.resource_types_[req.type_name()];
                auto r = co_await k.stoppable(it->second->import_state(req.id()));
                if (!r)
                    diags.push_back(stopped());
                else
                {
                    diags = std::move(r->diags);
                    if (!has_errors(diags))
                    {
                        auto* ir = resp.add_imported_resources();
                        ir->set_type_name(req.type_name());
                        encode_into(r->state, t, ir->mutable_state(), diags, "imported state");
                        ir->set_private_(r->private_data);
                    }
                }
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::ReadDataSource::Request, typename P::ReadDataSource::Response>(
        path("ReadDataSource"),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            diagnostics diags;
            auto it = k.p_.data_sources().find(req.type_name());
            if (it == k.p_.data_sources().end())
                diags.push_back(unknown_type("data source", req.type_name()));
            else
            {
                const type& t = k.data_types_[req.type_name()];
                auto cfg = decode(req.config(), t);
                if (!cfg)
                    diags.push_back(decode_error(cfg.error(), "configuration"));
                else
                {
                    auto r = co_await k.stoppable(it->second->read(*cfg));
                    if (!r)
                        diags.push_back(stopped());
                    else
                    {
                        diags = std::move(r->diags);
                        encode_into(r->state, t, resp.mutable_state(), diags, "data source state");
                    }
                }
            }
            put(diags, resp.mutable_diagnostics());
            co_return status();
        });

    srv.add_unary<typename P::GetFunctions::Request, typename P::GetFunctions::Response>(
        path("GetFunctions"),
        [&k](ctx&, const auto&, auto& resp) -> asio::awaitable<status>
        {
            for (const auto& [name, f] : k.p_.functions())
                to_proto(f, (*resp.mutable_functions())[name]);
            co_return status();
        });

    srv.add_unary<typename P::CallFunction::Request, typename P::CallFunction::Response>(
        path("CallFunction"),
        [&k](ctx&, const auto& req, auto& resp) -> asio::awaitable<status>
        {
            auto it = k.p_.functions().find(req.name());
            if (it == k.p_.functions().end())
            {
                resp.mutable_error()->set_text("unknown function \"" + req.name() + "\"");
                co_return status();
            }
            const function& f = it->second;
            std::vector<value> args;
            for (int i = 0; i < req.arguments_size(); ++i)
            {
                auto idx = static_cast<std::size_t>(i);
                const function::parameter* prm = idx < f.parameters.size()
                                                     ? &f.parameters[idx]
                                                     : (f.variadic ? &*f.variadic : nullptr);
                if (!prm)
                {
                    resp.mutable_error()->set_text("too many arguments");
                    co_return status();
                }
                auto a = decode(req.arguments(i), prm->ty);
                if (!a)
                {
                    resp.mutable_error()->set_text("invalid value for \"" + prm->name +
                                                   "\": " + a.error().what());
                    resp.mutable_error()->set_function_argument(i);
                    co_return status();
                }
                args.push_back(std::move(*a));
            }
            if (args.size() < f.parameters.size())
            {
                resp.mutable_error()->set_text("not enough arguments");
                co_return status();
            }
            auto stoppable_r = co_await k.stoppable(f.call(args));
            if (!stoppable_r)
            {
                resp.mutable_error()->set_text("the provider was stopped: Terraform asked it to "
                                               "stop before the function returned");
                co_return status();
            }
            auto& r = *stoppable_r;
            if (!r)
            {
                resp.mutable_error()->set_text(r.error().message);
                co_return status();
            }
            auto enc = encode(*r, f.returns, *resp.mutable_result());
            if (!enc)
                resp.mutable_error()->set_text("the function returned an invalid value: " +
                                               enc.error().what());
            co_return status();
        });

    srv.add_unary<typename P::Stop::Request, typename P::Stop::Response>(
        path(P::stop),
        [&k](ctx&, const auto&, auto&) -> asio::awaitable<status>
        {
            co_await k.stop_all();
            co_return status();
        });
}

} // namespace

int serve(provider& p, int argc, char** argv, serve_options opts)
{
    asio::io_context io(1);
    plugin::config defaults;
    defaults.magic_cookie_key = "TF_PLUGIN_MAGIC_COOKIE";
    defaults.magic_cookie_value =
        "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
    defaults.protocol_versions = {5, 6};
    defaults.debug = opts.debug || plugin::has_debug_flag(argc, argv);
    defaults.reattach_name = opts.registry_address;
    plugin::server srv(io, defaults);
    srv.services().options().max_receive_message_size = opts.max_message_size;
    srv.services().options().max_send_message_size = opts.max_message_size;
    detail::kit k(p);
    register_protocol<detail::v6>(srv.services(), k);
    register_protocol<detail::v5>(srv.services(), k);
    return srv.run();
}

} // namespace rpcplugin::terraform
