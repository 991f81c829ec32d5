#pragma once

/**
 * @file
 * The provider API of the Terraform kit: a provider with its resources, data sources and
 * functions, whose handlers are coroutines. `serve()` (serve.hpp) puts one behind
 * tfplugin6 and tfplugin5.
 *
 * Handlers run on the plugin's io_context, on the thread that called `serve()`; calls in
 * parallel interleave at their `co_await`s, so state shared between handlers needs no lock
 * but must stay consistent across each `co_await`.
 *
 * `StopProvider` cancels every handler in flight (validate, configure, upgrade, plan,
 * apply, read, import, data source read and function calls) through Asio cancellation
 * (terminal: the pending cancellable operation, such as a timer wait, completes with
 * `operation_aborted` and the handler's result is discarded), and answers once they have
 * all returned. Each cancelled call answers with a "Provider stopped" error diagnostic (a
 * function call with a FunctionError); read, apply and upgrade return the state as it was
 * before the call. A handler that never reaches a cancellable operation finishes first.
 * Later calls run normally.
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

/// What PlanResourceChange gives resource::plan(); values are decoded against the
/// resource schema's implied type.
struct plan_request
{
    value prior_state;        ///< null on create
    value proposed_new_state; ///< Terraform's proposal: config merged with prior computed values
    value config;             ///< may hold unknowns
    /// The private bytes stored with the prior state (opaque to Terraform; empty if none).
    std::string prior_private;
};

/// What resource::plan() answers.
struct plan_response
{
    /// The state expected after apply, unknown where it is not known yet; null plans a
    /// delete. Must conform to the schema's implied type (else an error diagnostic).
    value planned_state;
    /// The attributes whose change forces Terraform to destroy and recreate the object.
    std::vector<attribute_path> requires_replace;
    /// Opaque bytes handed to apply() as apply_request::planned_private.
    std::string planned_private;
    /// Warnings and errors; an error fails the plan.
    diagnostics diags;
};

/// What ApplyResourceChange gives resource::apply(); values are decoded against the
/// resource schema's implied type.
struct apply_request
{
    value prior_state;   ///< null on create
    value planned_state; ///< null: delete the object
    /// The resource's configuration (null when deleting).
    value config;
    /// The plan_response::planned_private of the plan being applied.
    std::string planned_private;
};

/// What resource::apply() answers.
struct apply_response
{
    value new_state; ///< null after a delete; on errors, what exists (partial state)
    /// Opaque bytes Terraform stores with the new state and hands back to read() and plan().
    std::string private_data;
    /// Warnings and errors; an error fails the apply (Terraform still stores `new_state`).
    diagnostics diags;
};

/// What ReadResource gives resource::read(): the state Terraform holds.
struct read_request
{
    /// The stored state, decoded against the current schema's implied type.
    value current_state;
    /// The private bytes stored with that state.
    std::string private_data;
};

/// What resource::read() answers: the object as it is now.
struct read_response
{
    value new_state; ///< null: the object is gone
    /// Private bytes to store with `new_state` (usually read_request::private_data).
    std::string private_data;
    /// Warnings and errors; an error fails the refresh.
    diagnostics diags;
};

/// What resource::import_state() answers: the existing object the import ID names.
struct import_response
{
    /// The imported object's state (Terraform then refreshes it with read()).
    value state;
    /// Private bytes to store with `state`.
    std::string private_data;
    /// Warnings and errors; on an error nothing is imported.
    diagnostics diags;
};

/// A state and its diagnostics: what resource::upgrade() and data_source::read() answer.
struct state_response
{
    /// The upgraded state (upgrade()) or the data source's result (data_source::read());
    /// must conform to the schema's implied type (else an error diagnostic).
    value state;
    /// Warnings and errors; an error fails the call.
    diagnostics diags;
};

/**
 * A managed resource type.
 *
 * The coroutines complete with their response; they run on the thread that called
 * `serve()` (see the file's description for interleaving). Cancellation: StopProvider
 * cancels every one of these coroutines in flight (see the file's description).
 */
class resource
{
public:
    virtual ~resource() = default;

    /// The resource's schema. serve() reads it once at start (its implied type decodes every
    /// call's values) and again for each GetProviderSchema: it must not change while serving.
    virtual schema get_schema() const = 0;
    /// Top-level attributes whose change forces replacement (default: none).
    virtual std::vector<std::string> replace_on_change() const { return {}; }

    /// Checks a configuration (ValidateResourceConfig); `config` may hold unknowns.
    /// Completes with the diagnostics found. Default: none.
    virtual asio::awaitable<diagnostics> validate(const value& config);
    /**
     * Default plan: the proposal, with every computed attribute that config leaves null
     * unknown on create (kept from prior state otherwise), and `requires_replace` naming the
     * `replace_on_change()` attributes whose value changed. Planning a delete returns null.
     */
    virtual asio::awaitable<plan_response> plan(const plan_request& req);
    /// Carries out a plan: creates (prior state null), updates, or deletes (planned state
    /// null) the object. Unknowns of the planned state must be known in `new_state`.
    virtual asio::awaitable<apply_response> apply(const apply_request& req) = 0;
    /// Refreshes the stored state from the real object; a null `new_state` says it is gone.
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
    /// The data source's schema; like resource::get_schema(), it must not change while
    /// serving.
    virtual schema get_schema() const = 0;
    /// Checks a configuration (ValidateDataResourceConfig); `config` may hold unknowns.
    /// Completes with the diagnostics found. Default: none. StopProvider cancels it.
    virtual asio::awaitable<diagnostics> validate(const value& config);
    /// Reads the data source (ReadDataSource): completes with its state, the config with
    /// its computed attributes filled in. Runs on the serving thread; StopProvider cancels
    /// it.
    virtual asio::awaitable<state_response> read(const value& config) = 0;
};

/** A provider-defined function (`provider::<name>::<function>(...)`). */
struct function
{
    /// One parameter of a function (Function.Parameter).
    struct parameter
    {
        /// The name shown in documentation and in argument errors.
        std::string name;
        /// The argument's type; the argument is decoded against it (dynamic: any type).
        type ty;
        /// Whether a null argument may be passed; Terraform rejects it otherwise.
        bool allow_null = false;
        /// Whether an unknown argument may be passed; otherwise Terraform does not call the
        /// function and takes its result as unknown.
        bool allow_unknown = false;
        /// Plain-text description.
        std::string description;
    };
    /// The fixed parameters, in order; every call passes all of them.
    std::vector<parameter> parameters;
    /// The parameter repeated after the fixed ones, if the function takes any number more.
    std::optional<parameter> variadic;
    /// The return type; the result is encoded against it (a mismatch is a function error).
    type returns;
    /// A one-line summary.
    std::string summary;
    /// A longer plain-text description.
    std::string description;
    /// The implementation: arguments in order (variadic ones after the fixed ones); an
    /// error's message becomes the FunctionError text. Runs on the serving thread;
    /// StopProvider cancels it.
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

    /// The schema of the provider's own configuration block. Default: an empty block.
    /// serve() reads it at start and for each GetProviderSchema: it must not change.
    virtual schema get_schema() const { return {}; }
    /// Checks the provider configuration (ValidateProviderConfig); `config` may hold
    /// unknowns. Completes with the diagnostics found. Default: none. Runs on the serving
    /// thread; StopProvider cancels it.
    virtual asio::awaitable<diagnostics> validate(const value& config);
    /// Configures the provider (ConfigureProvider) before its resources and data sources are
    /// used; `config` may hold unknowns, `terraform_version` is Terraform's (`1.9.8`).
    /// Completes with the diagnostics found; an error stops Terraform. Default: none. Runs
    /// on the serving thread; StopProvider cancels it.
    virtual asio::awaitable<diagnostics> configure(const value& config,
                                                   const std::string& terraform_version);

    /// Registers the resource type `type_name` (`localfs_file`), replacing one of the same
    /// name. Call before serve().
    void add_resource(std::string type_name, std::shared_ptr<resource> r);
    /// Registers the data source type `type_name`, replacing one of the same name. Call
    /// before serve().
    void add_data_source(std::string type_name, std::shared_ptr<data_source> d);
    /// Registers the function `name` (called as `provider::<provider>::<name>`), replacing
    /// one of the same name. Call before serve().
    void add_function(std::string name, function f);

    /// The registered resource types, by type name.
    const std::map<std::string, std::shared_ptr<resource>>& resources() const { return resources_; }
    /// The registered data source types, by type name.
    const std::map<std::string, std::shared_ptr<data_source>>& data_sources() const
    {
        return data_sources_;
    }
    /// The registered functions, by name.
    const std::map<std::string, function>& functions() const { return functions_; }

private:
    std::map<std::string, std::shared_ptr<resource>> resources_;
    std::map<std::string, std::shared_ptr<data_source>> data_sources_;
    std::map<std::string, function> functions_;
};

} // namespace rpcplugin::terraform
