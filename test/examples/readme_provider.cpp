// The shortest Terraform provider, as shown in the README ("Write a Terraform provider").

#include <rpcplugin/terraform/serve.hpp>
namespace tf = rpcplugin::terraform;
using tf::type;
using tf::value;

class note final : public tf::resource
{
    tf::schema get_schema() const override
    {
        return {0, tf::block_builder()
                       .required("text", type::string())
                       .computed("id", type::string())
                       .build()};
    }
    std::vector<std::string> replace_on_change() const override { return {"text"}; }
    // The default plan leaves "id" unknown on create; apply fills it in.
    boost::asio::awaitable<tf::apply_response> apply(const tf::apply_request& r) override
    {
        if (r.planned_state.is_null()) // delete
            co_return tf::apply_response{value::null(r.prior_state.ty()), {}, {}};
        co_return tf::apply_response{value::object({{"text", *r.planned_state.get("text")},
                                                    {"id", value::string("note-1")}}),
                                     {},
                                     {}};
    }
    boost::asio::awaitable<tf::read_response> read(const tf::read_request& r) override
    {
        co_return tf::read_response{r.current_state, r.private_data, {}};
    }
};

int main(int argc, char** argv)
{
    tf::provider p;
    p.add_resource("example_note", std::make_shared<note>());
    return tf::serve(p, argc, argv, {.registry_address = "registry.terraform.io/acme/example"});
}
