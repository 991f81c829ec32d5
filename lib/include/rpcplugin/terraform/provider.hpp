#pragma once

/**
 * @file
 * The provider API of the Terraform kit: a provider with its resources, data sources and
 * functions, whose handlers are coroutines. `serve()` (serve.hpp) puts one behind
 * tfplugin6 and tfplugin5.
 *
 * Handlers run on the plugin's io_context. `StopProvider` cancels every handler in flight
 * through Asio cancellation (the handler's awaitable is abandoned at its next cancellable
 * `co_await`, such as a timer wait); the call then answers with an error diagnostic and
 * the prior state. Later calls run normally.
 */

#include <rpcplugin/asio.hpp>
#include <rpcplugin/terraform/diagnostic.hpp>
#include <rpcplugin/terraform/schema.hpp>
#include <rpcplugin/terraform/value.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rpcplugin::terraform
{

struct plan_request
{
    value prior_state;        ///< null on create
    value proposed_new_state; ///< Terraform's proposal: config merged with prior computed values
    value config;             ///< may hold unknowns
    std::string prior_private;
};

struct plan_response
{
    value planned_state;
    std::vector<attribute_path> requires_replace;
    std::string planned_private;
    diagnostics diags;
};

struct apply_request
{
    value prior_state;   ///< null on create
    value planned_state; ///< null: delete the object
    value config;
    std::string planned_private;
};

struct apply_response
{
    value new_state; ///< null after a delete; on errors, what exists (partial state)
    std::string private_data;
    diagnostics diags;
};

struct read_request
{
    value current_state;
    std::string private_data;
};

struct read_response
{
    value new_state; ///< null: the object is gone
    std::string private_data;
    diagnostics diags;
};

struct import_response
{
    value state;
    std::string private_data;
    diagnostics diags;
};

struct state_response
{
    value state;
    diagnostics diags;
};

/** A managed resource type. */
class resource
{
public:
    virtual ~resource() = default;

    virtual schema get_schema() const = 0;
    /// Top-level attributes whose change forces replacement (default: none).
    virtual std::vector<std::string> replace_on_change() const { return {}; }

    virtual asio::awaitable<diagnostics> validate(const value& config);
    /**
     * Default plan: the proposal, with every computed attribute that config leaves null
     * unknown on create (kept from prior state otherwise), and `requires_replace` naming the
     * `replace_on_change()` attributes whose value changed. Planning a delete returns null.
     */
    virtual asio::awaitable<plan_response> plan(const plan_request& req);
    virtual asio::awaitable<apply_response> apply(const apply_request& req) = 0;
    virtual asio::awaitable<read_response> read(const read_request& req) = 0;
    /// Default: an error (import not supported).
    virtual asio::awaitable<import_response> import_state(const std::string& id);
    /**
     * `state` is the stored JSON decoded against the current schema (missing attributes are
     * null); `version` is the schema version it was written with. Default: unchanged.
     */
    virtual asio::awaitable<state_response> upgrade(std::int64_t version, const value& state);
};

/** A data source type. */
class data_source
{
public:
    virtual ~data_source() = default;
    virtual schema get_schema() const = 0;
    virtual asio::awaitable<diagnostics> validate(const value& config);
    virtual asio::awaitable<state_response> read(const value& config) = 0;
};

/** A provider-defined function (`provider::<name>::<function>(...)`). */
struct function
{
    struct parameter
    {
        std::string name;
        type ty;
        bool allow_null = false;
        bool allow_unknown = false;
        std::string description;
    };
    std::vector<parameter> parameters;
    std::optional<parameter> variadic;
    type returns;
    std::string summary;
    std::string description;
    /// The implementation: arguments in order (variadic ones after the fixed ones); an
    /// error's message becomes the FunctionError text.
    std::function<asio::awaitable<result<value>>(const std::vector<value>&)> call;
};

/**
 * A provider: its configuration schema, `configure`, and what it offers. Register the
 * resources, data sources and functions before serving; not thread-safe.
 */
class provider
{
public:
    virtual ~provider() = default;

    virtual schema get_schema() const { return {}; }
    virtual asio::awaitable<diagnostics> validate(const value& config);
    virtual asio::awaitable<diagnostics> configure(const value& config,
                                                   const std::string& terraform_version);

    void add_resource(std::string type_name, std::shared_ptr<resource> r);
    void add_data_source(std::string type_name, std::shared_ptr<data_source> d);
    void add_function(std::string name, function f);

    const std::map<std::string, std::shared_ptr<resource>>& resources() const { return resources_; }
    const std::map<std::string, std::shared_ptr<data_source>>& data_sources() const
    {
        return data_sources_;
    }
    const std::map<std::string, function>& functions() const { return functions_; }

private:
    std::map<std::string, std::shared_ptr<resource>> resources_;
    std::map<std::string, std::shared_ptr<data_source>> data_sources_;
    std::map<std::string, function> functions_;
};

} // namespace rpcplugin::terraform
