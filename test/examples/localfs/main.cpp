// terraform-provider-localfs: the example Terraform provider of the kit (rpcplugin::terraform).
//
//   resource "localfs_file"   path (replaced when it changes), content, mode (default
//                             "0644"), computed sha256 and id; read detects drift.
//   data "localfs_file"       reads a file: content and sha256.
//   provider::localfs::sha256(string) -> string
//
// The provider block takes `apply_delay_ms` (optional): each apply first waits that long on
// a timer, so a test can call StopProvider while an apply is in flight.
#include <rpcplugin/terraform/serve.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <openssl/evp.h>

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tf = rpcplugin::terraform;
namespace asio = boost::asio;
using tf::type;
using tf::value;

namespace
{

std::string sha256_hex(const std::string& data)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i)
    {
        out += digits[md[i] >> 4];
        out += digits[md[i] & 15];
    }
    return out;
}

std::optional<std::string> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string file_mode(const std::string& path)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0)
        return "";
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", st.st_mode & 07777);
    return buf;
}

const std::string* str(const value& obj, const char* name)
{
    const value* v = obj.get(name);
    return v && v->is_known() && !v->is_null() ? &v->as_string() : nullptr;
}

std::atomic<long> apply_delay_ms{0};

class file_resource final : public tf::resource
{
public:
    tf::schema get_schema() const override
    {
        return {
            0, tf::block_builder()
                   .required("path", type::string(), "Path of the file.")
                   .required("content", type::string(), "What the file holds.")
                   .optional_computed("mode", type::string(), "Permissions in octal, default 0644.")
                   .computed("sha256", type::string(), "SHA-256 of the content, hex.")
                   .computed("id", type::string(), "The path.")
                   .build()};
    }

    std::vector<std::string> replace_on_change() const override { return {"path"}; }

    asio::awaitable<tf::diagnostics> validate(const value& config) override
    {
        tf::diagnostics d;
        if (auto m = str(config, "mode"))
            if (m->size() != 4 || m->find_first_not_of("01234567") != std::string::npos)
                d.push_back(tf::diagnostic::error("Invalid mode",
                                                  "mode must be four octal digits, like 0644.",
                                                  {tf::path_step::attr("mode")}));
        if (auto p = str(config, "path"); p && (p->empty() || (*p)[0] != '/'))
            d.push_back(tf::diagnostic::error("Invalid path", "path must be absolute.",
                                              {tf::path_step::attr("path")}));
        co_return d;
    }

    asio::awaitable<tf::plan_response> plan(const tf::plan_request& req) override
    {
        auto out = co_await tf::resource::plan(req);
        // A content change makes the digest unknown until apply.
        if (!req.prior_state.is_null() && !out.planned_state.is_null())
        {
            const value* before = req.prior_state.get("content");
            const value* after = out.planned_state.get("content");
            if (before && after && !(*before == *after))
            {
                auto attrs = out.planned_state.items();
                for (auto& [k, v] : attrs)
                    if (k == "sha256")
                        v = value::unknown(type::string());
                out.planned_state = value::object(std::move(attrs));
            }
        }
        co_return out;
    }

    asio::awaitable<tf::apply_response> apply(const tf::apply_request& req) override
    {
        tf::apply_response out;
        if (long ms = apply_delay_ms.load(); ms > 0)
        {
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
            co_await t.async_wait(asio::use_awaitable);
        }
        if (req.planned_state.is_null())
        {
            if (auto p = str(req.prior_state, "path");
                p && std::remove(p->c_str()) != 0 && errno != ENOENT)
                out.diags.push_back(
                    tf::diagnostic::error("Cannot delete " + *p, std::strerror(errno)));
            out.new_state = value::null(req.prior_state.ty());
            co_return out;
        }
        std::string path = *str(req.planned_state, "path");
        std::string content = *str(req.planned_state, "content");
        const std::string* m = str(req.planned_state, "mode");
        std::string mode = m ? *m : "0644";
        {
            std::ofstream f(path, std::ios::binary | std::ios::trunc);
            f << content;
            if (!f)
            {
                out.diags.push_back(tf::diagnostic::error(
                    "Cannot write " + path, std::strerror(errno), {tf::path_step::attr("path")}));
                out.new_state = req.prior_state;
                co_return out;
            }
        }
        ::chmod(path.c_str(), static_cast<mode_t>(std::stoul(mode, nullptr, 8)));
        out.new_state = value::object({{"path", value::string(path)},
                                       {"content", value::string(content)},
                                       {"mode", value::string(mode)},
                                       {"sha256", value::string(sha256_hex(content))},
                                       {"id", value::string(path)}});
        out.private_data = "localfs-v1";
        co_return out;
    }

    asio::awaitable<tf::read_response> read(const tf::read_request& req) override
    {
        tf::read_response out;
        out.private_data = req.private_data;
        const std::string* p = str(req.current_state, "path");
        auto content = p ? read_file(*p) : std::nullopt;
        if (!content)
        {
            out.new_state = value::null(req.current_state.ty());
            co_return out;
        }
        out.new_state = value::object({{"path", value::string(*p)},
                                       {"content", value::string(*content)},
                                       {"mode", value::string(file_mode(*p))},
                                       {"sha256", value::string(sha256_hex(*content))},
                                       {"id", value::string(*p)}});
        co_return out;
    }

    asio::awaitable<tf::import_response> import_state(const std::string& id) override
    {
        tf::import_response out;
        if (!read_file(id))
        {
            out.diags.push_back(
                tf::diagnostic::error("Cannot import " + id, "No readable file at that path."));
            co_return out;
        }
        tf::read_request rr{value::object({{"path", value::string(id)},
                                           {"content", value::null(type::string())},
                                           {"mode", value::null(type::string())},
                                           {"sha256", value::null(type::string())},
                                           {"id", value::string(id)}}),
                            {}};
        auto r = co_await read(rr);
        out.state = r.new_state;
        co_return out;
    }
};

class file_data final : public tf::data_source
{
public:
    tf::schema get_schema() const override
    {
        return {0, tf::block_builder()
                       .required("path", type::string())
                       .computed("content", type::string())
                       .computed("sha256", type::string())
                       .build()};
    }

    asio::awaitable<tf::state_response> read(const value& config) override
    {
        tf::state_response out;
        std::string path = *str(config, "path");
        auto content = read_file(path);
        if (!content)
        {
            out.diags.push_back(tf::diagnostic::error("Cannot read " + path,
                                                      "No readable file at that path.",
                                                      {tf::path_step::attr("path")}));
            out.state = value::null(tf::implied_type(get_schema().body));
            co_return out;
        }
        out.state = value::object({{"path", value::string(path)},
                                   {"content", value::string(*content)},
                                   {"sha256", value::string(sha256_hex(*content))}});
        co_return out;
    }
};

class localfs final : public tf::provider
{
public:
    tf::schema get_schema() const override
    {
        return {0, tf::block_builder().optional("apply_delay_ms", type::number()).build()};
    }

    asio::awaitable<tf::diagnostics> configure(const value& config, const std::string&) override
    {
        const value* d = config.get("apply_delay_ms");
        if (d && d->is_known() && !d->is_null())
            apply_delay_ms = d->as_number().as_int64().value_or(0);
        co_return tf::diagnostics{};
    }
};

} // namespace

int main(int argc, char** argv)
{
    localfs p;
    p.add_resource("localfs_file", std::make_shared<file_resource>());
    p.add_data_source("localfs_file", std::make_shared<file_data>());
    tf::function sha;
    sha.parameters = {{"input", type::string(), false, false, "The text to digest."}};
    sha.returns = type::string();
    sha.summary = "SHA-256 of a string, hex";
    sha.call = [](const std::vector<value>& args) -> asio::awaitable<tf::result<value>>
    { co_return value::string(sha256_hex(args[0].as_string())); };
    p.add_function("sha256", std::move(sha));
    return tf::serve(p, argc, argv,
                     {.registry_address = "registry.terraform.io/rpcplugin/localfs"});
}
