// The host library against real plugins: the C++ KV example, a Python plugin on grpcio,
// and the bad plugins of bad_plugins/. Each test checks the process was reaped (no
// zombie) and no socket file was left behind.
#include "rpcplugin/host/plugin_client.hpp"

#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include "kv/kv.pb.h"

#include <doctest/doctest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <tuple>
#include <fstream>
#include <sys/wait.h>

namespace asio = boost::asio;
namespace host = rpcplugin::host;
namespace rg = rpcplugin::grpc;
using host::errc;
using namespace std::chrono_literals;

namespace
{
std::string env_path(const char* name)
{
    const char* v = std::getenv(name);
    REQUIRE_MESSAGE(v != nullptr, name << " is not set (run through meson test)");
    return v;
}

std::string kv_plugin()
{
    return env_path("TEST_KV_PLUGIN");
}
std::string bad_plugin(const std::string& name)
{
    return env_path("TEST_HOST_DIR") + "/bad_plugins/" + name;
}
std::string py_plugin()
{
    return env_path("TEST_HOST_DIR") + "/plugins/py_plugin.py";
}

// A quiet config whose plugin puts its sockets (and PID_FILE) into `dir`.
host::client_config config_in(const rpcplugin::test::temp_dir& dir, std::string key,
                              std::string value)
{
    host::client_config cfg;
    cfg.magic_cookie_key = std::move(key);
    cfg.magic_cookie_value = std::move(value);
    cfg.inherit_stdin = false;
    cfg.log = rpcplugin::logger(rpcplugin::log_level::off, rpcplugin::stderr_text_sink());
    cfg.env = {"TMPDIR=" + dir.path().string(), "PID_FILE=" + dir.file("pid")};
    cfg.unix_socket_dir = dir.path().string();
    return cfg;
}

long read_pid(const rpcplugin::test::temp_dir& dir)
{
    std::ifstream in(dir.file("pid"));
    long pid = 0;
    in >> pid;
    return pid;
}

// The process is not our child any more: it was reaped (a zombie would still be ours).
void check_reaped(long pid)
{
    REQUIRE(pid > 0);
    errno = 0;
    pid_t r = ::waitpid(static_cast<pid_t>(pid), nullptr, WNOHANG);
    CHECK_MESSAGE(r == -1, "waitpid(" << pid << ") = " << r << ": the plugin was not reaped");
    CHECK(errno == ECHILD);
}

// Nothing but the pid file is left in the plugin's directory.
void check_no_sockets(const rpcplugin::test::temp_dir& dir)
{
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        CHECK_MESSAGE(e.path().filename() == "pid", "left behind: " << e.path());
}

asio::awaitable<host::plugin_client::result_type> launch(host::command cmd, host::client_config cfg)
{
    auto ex = co_await asio::this_coro::executor;
    co_return co_await host::plugin_client::launch(ex, cmd, cfg);
}

host::failure launch_fails(asio::io_context& io, const host::command& cmd,
                           const host::client_config& cfg)
{
    auto r = rpcplugin::test::run(io, launch(cmd, cfg), 20s);
    REQUIRE_MESSAGE(r.has_error(), "the launch of " << cmd.path << " succeeded");
    return r.error();
}

struct kv_results
{
    rg::status ping, put, get, callback_put, callback_get, start_counter, add;
    std::string value, callback_value;
    std::int64_t total = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> sums;
    bool dialed = false;
    host::shutdown_result shutdown;
};

// Every host feature on the KV plugin, then the go-plugin shutdown.
asio::awaitable<void> exercise_kv(std::shared_ptr<host::plugin_client> c, kv_results& out)
{
    auto& ch = *c->channel();
    out.ping = co_await c->ping();
    std::string put_path = "/kv.KV/Put", get_path = "/kv.KV/Get";
    rg::call_options opts;
    opts.timeout = 10s;
    kv::PutRequest put;
    put.set_key("greeting");
    put.set_value(std::string("hi\0there", 8));
    kv::Empty empty;
    out.put = co_await ch.unary(put_path, put, empty, opts);
    kv::GetRequest get;
    get.set_key("greeting");
    kv::GetResponse got;
    out.get = co_await ch.unary(get_path, get, got, opts);
    out.value = got.value();

    // The plugin calls back into the host through the broker.
    auto sums = &out.sums;
    const std::uint32_t id = c->broker().next_id();
    auto served = c->broker().accept_and_serve(
        id,
        [sums](rg::server& s)
        {
            s.add_unary<kv::SumRequest, kv::SumResponse>(
                "/kv.Helper/Sum",
                [sums](rg::server_context&, const kv::SumRequest& r,
                       kv::SumResponse& resp) -> asio::awaitable<rg::status>
                {
                    sums->emplace_back(r.a(), r.b());
                    resp.set_r(r.a() + r.b());
                    co_return rg::status();
                });
        });
    REQUIRE(served.has_value());
    put.set_key("n");
    put.set_value("40");
    put.set_add_server(id);
    out.callback_put = co_await ch.unary(put_path, put, empty, opts);
    get.set_key("n");
    out.callback_get = co_await ch.unary(get_path, get, got, opts);
    out.callback_value = got.value();

    // The host calls a server the plugin started on the broker.
    std::string start_path = "/kv.KV/StartCounter", add_path = "/kv.Counter/Add";
    kv::StartCounterRequest start;
    start.set_initial(100);
    kv::StartCounterResponse started;
    out.start_counter = co_await ch.unary(start_path, start, started, opts);
    auto counter = co_await c->broker().dial(started.broker_id());
    out.dialed = counter.has_value();
    if (counter)
    {
        kv::AddRequest add;
        add.set_delta(5);
        kv::AddResponse total;
        out.add = co_await (*counter)->unary(add_path, add, total, opts);
        out.total = total.total();
        (*counter)->close();
    }
    out.shutdown = co_await c->shutdown();
}

// Two shutdowns at once: the second waits for the first and gets the same result.
asio::awaitable<std::pair<host::shutdown_result, host::shutdown_result>>
shutdown_twice(std::shared_ptr<host::plugin_client> c)
{
    using namespace asio::experimental::awaitable_operators;
    auto [a, b] = co_await (c->shutdown() && c->shutdown());
    co_return std::pair{a, b};
}

void check_kv(const kv_results& r)
{
    CHECK(r.ping.ok());
    CHECK(r.put.ok());
    CHECK(r.get.ok());
    CHECK(r.value == std::string("hi\0there", 8));
    CHECK_MESSAGE(r.callback_put.ok(), r.callback_put);
    CHECK(r.callback_get.ok());
    CHECK(r.callback_value == "40"); // a missing key counts as 0
    CHECK(r.sums == std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 40}});
    CHECK(r.start_counter.ok());
    CHECK(r.dialed);
    CHECK(r.add.ok());
    CHECK(r.total == 105);
    CHECK(r.shutdown.owned);
    CHECK(r.shutdown.graceful);
    CHECK_FALSE(r.shutdown.killed);
    REQUIRE(r.shutdown.exit.has_value());
    CHECK(r.shutdown.exit->success());
    CHECK(r.shutdown.removed_sockets.empty()); // the plugin removed its own
}
} // namespace

TEST_SUITE("host")
{
    TEST_CASE("the C++ KV plugin with AutoMTLS: handshake, mTLS, calls, broker both ways, shutdown")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "RPCPLUGIN_KV_PLUGIN", "kv");
        auto r = rpcplugin::test::run(io, launch({kv_plugin(), {}}, cfg), 20s);
        REQUIRE_MESSAGE(r.has_value(), r.error().message);
        auto c = *r;
        CHECK(c->owns_process());
        CHECK(c->handshake().core_version == 1);
        CHECK(c->handshake().app_version == 1);
        CHECK(c->handshake().network == "unix");
        CHECK(c->handshake().address.starts_with(dir.path().string()));
        CHECK(c->handshake_text().starts_with("1|1|unix|"));
        REQUIRE(c->host_certificate().has_value());
        auto host_cert =
            rpcplugin::wire::parse_certificate_der(c->host_certificate()->certificate_der);
        REQUIRE(host_cert.has_value());
        CHECK(host_cert->key_type == "EC P-521");
        CHECK(host_cert->dns_names == std::vector<std::string>{"localhost"});
        const auto& tls = c->channel()->tls_session();
        CHECK(tls.alpn == "h2");
        CHECK(tls.version.starts_with("TLSv1."));
        CHECK(tls.peer_certificate_der == c->handshake().server_cert_der);
        CHECK(c->timings().started <= c->timings().handshake);
        CHECK(c->timings().handshake <= c->timings().connected);
        const long pid = c->pid();
        const std::string socket = c->handshake().address;

        kv_results results;
        rpcplugin::test::run(io, exercise_kv(c, results), 30s);
        check_kv(results);
        check_reaped(pid);
        CHECK_FALSE(std::filesystem::exists(socket));
        c.reset();
        check_no_sockets(dir);
    }

    TEST_CASE("the C++ KV plugin without AutoMTLS is plaintext")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "RPCPLUGIN_KV_PLUGIN", "kv");
        cfg.auto_mtls = false;
        auto r = rpcplugin::test::run(io, launch({kv_plugin(), {}}, cfg), 20s);
        REQUIRE_MESSAGE(r.has_value(), r.error().message);
        auto c = *r;
        CHECK(c->handshake().server_cert_der.empty());
        CHECK(c->channel()->tls_session().version.empty());
        CHECK_FALSE(c->host_certificate().has_value());
        const long pid = c->pid();
        kv_results results;
        rpcplugin::test::run(io, exercise_kv(c, results), 30s);
        check_kv(results);
        check_reaped(pid);
        c.reset();
        check_no_sockets(dir);
    }

    TEST_CASE("the C++ KV plugin over TCP with AutoMTLS, brokered connections over TCP too")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "RPCPLUGIN_KV_PLUGIN", "kv");
        cfg.env.push_back("PLUGIN_SERVER_TRANSPORTS=tcp");
        cfg.min_port = 20000;
        cfg.max_port = 24999;
        auto r = rpcplugin::test::run(io, launch({kv_plugin(), {}}, cfg), 20s);
        REQUIRE_MESSAGE(r.has_value(), r.error().message);
        auto c = *r;
        CHECK(c->handshake().network == "tcp");
        CHECK(c->handshake().address.starts_with("127.0.0.1:"));
        const int port = std::stoi(c->handshake().address.substr(10));
        CHECK(port >= 20000);
        CHECK(port <= 24999);
        CHECK(c->channel()->tls_session().alpn == "h2");
        const long pid = c->pid();
        kv_results results;
        rpcplugin::test::run(io, exercise_kv(c, results), 30s);
        check_kv(results);
        check_reaped(pid);
        c.reset();
        check_no_sockets(dir);
    }

    TEST_CASE("without on_log, the plugin's stderr goes to the host's logger")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "K", "v");
        std::vector<std::tuple<rpcplugin::log_level, std::string, std::string>> records;
        cfg.log =
            rpcplugin::logger(rpcplugin::log_level::trace,
                              [&](rpcplugin::log_level l, std::string_view module,
                                  std::string_view msg, std::initializer_list<rpcplugin::log_field>)
                              { records.emplace_back(l, module, msg); });
        cfg.plugin_log_name = "db-plugin";
        auto f = launch_fails(io, {bad_plugin("exits_early.sh"), {}}, cfg);
        CHECK(f.code == errc::plugin_exited);
        using R = std::tuple<rpcplugin::log_level, std::string, std::string>;
        CHECK(std::count(records.begin(), records.end(),
                         R{rpcplugin::log_level::info, "db-plugin", "starting the plugin"}) == 1);
        CHECK(std::count(
                  records.begin(), records.end(),
                  R{rpcplugin::log_level::error, "db-plugin",
                    "cannot open the database /nonexistent/db: no such file or directory"}) == 1);
        // The host's own account of the failure.
        CHECK(std::any_of(records.begin(), records.end(),
                          [](const R& x) {
                              return std::get<1>(x) == "rpcplugin.host" &&
                                     std::get<2>(x) == "plugin failed to start";
                          }));
    }

    TEST_CASE("a plugin that exits before its handshake: plugin_exited with its stderr tail")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto f = launch_fails(io, {bad_plugin("exits_early.sh"), {}}, config_in(dir, "K", "v"));
        CHECK(f.code == errc::plugin_exited);
        CHECK(f.message.starts_with("plugin exited before we could connect (exit status 3)"));
        CHECK(f.message.find("[ERROR] cannot open the database /nonexistent/db") !=
              std::string::npos);
        check_reaped(read_pid(dir));
        check_no_sockets(dir);
    }

    TEST_CASE("a grandchild that keeps the plugin's pipes open does not hold the host")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        const auto t0 = std::chrono::steady_clock::now();
        auto f =
            launch_fails(io, {bad_plugin("leaves_grandchild.sh"), {}}, config_in(dir, "K", "v"));
        CHECK(f.code == errc::plugin_exited);
        CHECK(f.message.starts_with("plugin exited before we could connect (exit status 4)"));
        CHECK(f.message.find("giving up, but my child lives on") != std::string::npos);
        // Every reader of the plugin's pipes has ended: the io_context runs out of work.
        io.restart();
        io.run_for(5s);
        CHECK(io.stopped());
        CHECK(std::chrono::steady_clock::now() - t0 < 4s); // the grandchild lives 5 s
        check_reaped(read_pid(dir));
        std::ifstream in(dir.file("pid.grandchild"));
        long grandchild = 0;
        in >> grandchild;
        REQUIRE(grandchild > 0);
        ::kill(static_cast<pid_t>(grandchild), SIGKILL); // not ours to reap
        std::filesystem::remove(dir.file("pid.grandchild"));
        check_no_sockets(dir);
    }

    TEST_CASE("each bad handshake line is refused with its error; the plugin is killed and reaped")
    {
        struct bad
        {
            const char* script;
            errc code;
            const char* message_start;
        };
        for (const bad& b : {
                 bad{"garbage.sh", errc::unrecognized_handshake,
                     "Unrecognized remote plugin message: Hello! I am not a plugin."},
                 bad{"wrong_core.sh", errc::core_version_mismatch,
                     "incompatible core API version with plugin. Plugin version: 2, Core version: "
                     "1"},
                 bad{"wrong_version.sh", errc::app_version_mismatch,
                     "incompatible API version with plugin. Plugin version: 7, Client versions: "
                     "[1]"},
                 bad{"bad_cert.sh", errc::bad_server_certificate, "error parsing server cert: "},
                 bad{"netrpc.sh", errc::unsupported_protocol,
                     "unsupported plugin protocol \"netrpc\". Supported: [grpc]"},
             })
        {
            CAPTURE(b.script);
            rpcplugin::test::temp_dir dir;
            asio::io_context io(1);
            auto f = launch_fails(io, {bad_plugin(b.script), {}}, config_in(dir, "K", "v"));
            CHECK(f.code == b.code);
            CHECK_MESSAGE(f.message.starts_with(b.message_start), f.message);
            check_reaped(read_pid(dir));
            check_no_sockets(dir);
        }
    }

    TEST_CASE("a plugin that prints no line within the start timeout: start_timeout")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "K", "v");
        cfg.start_timeout = 300ms;
        const auto t0 = std::chrono::steady_clock::now();
        auto f = launch_fails(io, {bad_plugin("silent.sh"), {}}, cfg);
        CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
        CHECK(f.code == errc::start_timeout);
        CHECK(f.message.starts_with(
            "timeout while waiting for plugin to start (no handshake line within 300 ms)"));
        CHECK(f.message.find("[DEBUG] thinking...") != std::string::npos);
        check_reaped(read_pid(dir));
        check_no_sockets(dir);
    }

    TEST_CASE("an executable that cannot start: spawn_failed")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto f = launch_fails(io, {dir.file("no-such-plugin"), {}}, config_in(dir, "K", "v"));
        CHECK(f.code == errc::spawn_failed);
        CHECK(f.message ==
              "cannot start plugin " + dir.file("no-such-plugin") + ": No such file or directory");
        auto cfg = config_in(dir, "K", "v");
        cfg.protocol_versions.clear();
        CHECK(launch_fails(io, {kv_plugin(), {}}, cfg).code == errc::invalid_config);
    }

    TEST_CASE("a plugin that ignores Controller.Shutdown is killed after the grace period")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "TEST_PY_PLUGIN", "1");
        cfg.auto_mtls = false;
        cfg.kill_grace = 500ms;
        auto r =
            rpcplugin::test::run(io, launch({bad_plugin("ignores_shutdown.sh"), {}}, cfg), 20s);
        REQUIRE_MESSAGE(r.has_value(), r.error().message);
        auto c = *r;
        const std::string socket = c->handshake().address;
        CHECK(std::filesystem::exists(socket));
        auto [sd, concurrent] = rpcplugin::test::run(io, shutdown_twice(c), 20s);
        CHECK(concurrent.killed);
        CHECK(concurrent.duration == sd.duration);
        CHECK(sd.controller.ok());
        CHECK_FALSE(sd.graceful);
        CHECK(sd.killed);
        REQUIRE(sd.exit.has_value());
        CHECK(sd.exit->signaled);
        CHECK(sd.exit->signal == SIGKILL);
        CHECK(sd.duration >= 500ms);
        CHECK(sd.removed_sockets == std::vector<std::string>{socket});
        CHECK_FALSE(std::filesystem::exists(socket));
        check_reaped(c->pid());
        // A second shutdown returns the first result.
        auto again = rpcplugin::test::run(io, c->shutdown(), 5s);
        CHECK(again.killed);
        c.reset();
        check_no_sockets(dir);
    }

    TEST_CASE("GRPCStdio chunks and stdout lines after the handshake reach on_output; stderr "
              "reaches on_log")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg =
            config_in(dir, "TEST_PY_PLUGIN", "1"); // AutoMTLS on: the Python plugin does it too
        std::vector<std::pair<host::output_source, std::string>> output;
        std::vector<host::plugin_log_record> logs;
        cfg.on_output = [&](host::output_source s, std::string_view d)
        { output.emplace_back(s, d); };
        cfg.on_log = [&](const host::plugin_log_record& rec) { logs.push_back(rec); };
        auto r = rpcplugin::test::run(
            io, launch({py_plugin(), {"--stdout-line", "plain stdout"}}, cfg), 20s);
        REQUIRE_MESSAGE(r.has_value(), r.error().message);
        auto c = *r;
        CHECK(c->channel()->tls_session().version.starts_with("TLSv1."));
        rpcplugin::test::run_until(
            io, [&] { return output.size() >= 3; }, 10s);
        CHECK_FALSE(c->stdio_result().has_value()); // the stream stays open
        auto sd = rpcplugin::test::run(io, c->shutdown(), 20s);
        CHECK(sd.graceful);
        using O = host::output_source;
        CHECK(std::count(output.begin(), output.end(),
                         std::pair<O, std::string>{O::stdout_pipe, "plain stdout"}) == 1);
        CHECK(std::count(output.begin(), output.end(),
                         std::pair<O, std::string>{O::grpc_stdout,
                                                   "hello from the plugin's stdout\n"}) == 1);
        CHECK(std::count(output.begin(), output.end(),
                         std::pair<O, std::string>{O::grpc_stderr,
                                                   "a line on the plugin's stderr\n"}) == 1);
        auto listening =
            std::find_if(logs.begin(), logs.end(),
                         [](const auto& l) { return l.message.starts_with("listening on "); });
        REQUIRE(listening != logs.end());
        CHECK(listening->level == rpcplugin::log_level::debug);
        CHECK(listening->raw.starts_with("[DEBUG] listening on "));
        check_reaped(c->pid());
        c.reset();
        check_no_sockets(dir);
    }

    TEST_CASE("a handshake line written a few bytes at a time is read whole")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "TEST_PY_PLUGIN", "1");
        auto r = rpcplugin::test::run(
            io, launch({py_plugin(), {"--slow-line", "--stdout-line", "after"}}, cfg), 20s);
        REQUIRE_MESSAGE(r.has_value(), r.error().message);
        auto c = *r;
        CHECK(c->handshake_text().starts_with("1|1|unix|" + dir.path().string()));
        CHECK(c->handshake_text().size() > 600); // the whole certificate arrived
        CHECK(rpcplugin::test::run(io, c->ping(), 10s).ok());
        auto sd = rpcplugin::test::run(io, c->shutdown(), 20s);
        CHECK(sd.graceful);
        c.reset();
        check_no_sockets(dir);
    }

    TEST_CASE("a plugin that announces before it listens is reached by retrying with backoff")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "TEST_PY_PLUGIN", "1");
        cfg.auto_mtls = false;
        auto r =
            rpcplugin::test::run(io, launch({py_plugin(), {"--announce-early", "0.3"}}, cfg), 20s);
        REQUIRE_MESSAGE(r.has_value(), r.error().message);
        auto c = *r;
        CHECK(c->timings().connected - c->timings().handshake >= 250ms);
        CHECK(rpcplugin::test::run(io, c->ping(), 10s).ok());
        auto sd = rpcplugin::test::run(io, c->shutdown(), 20s);
        CHECK(sd.graceful);
        c.reset();
        check_no_sockets(dir);

        // Without retries the same plugin is not reachable.
        rpcplugin::test::temp_dir dir2;
        auto once = config_in(dir2, "TEST_PY_PLUGIN", "1");
        once.auto_mtls = false;
        once.connect_backoff.max_attempts = 1;
        auto f = launch_fails(io, {py_plugin(), {"--announce-early", "3"}}, once);
        CHECK(f.code == errc::connect_failed);
        CHECK(f.message.starts_with("cannot connect to the plugin at unix:"));
        check_reaped(read_pid(dir2));
        check_no_sockets(dir2);
    }

    TEST_CASE("destroying a client without shutdown kills and reaps the plugin")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "RPCPLUGIN_KV_PLUGIN", "kv");
        auto r = rpcplugin::test::run(io, launch({kv_plugin(), {}}, cfg), 20s);
        REQUIRE_MESSAGE(r.has_value(), r.error().message);
        const long pid = (*r)->pid();
        const std::string socket = (*r)->handshake().address;
        r = host::failure{};
        check_reaped(pid);
        CHECK_FALSE(std::filesystem::exists(socket)); // SIGKILLed: the host removed its socket
        io.poll();
        check_no_sockets(dir);
    }

    TEST_CASE("reattach connects to a running plugin without owning it")
    {
        rpcplugin::test::temp_dir dir;
        asio::io_context io(1);
        auto cfg = config_in(dir, "RPCPLUGIN_KV_PLUGIN", "kv");
        cfg.auto_mtls = false; // reattach is plaintext, as in go-plugin
        auto owner = rpcplugin::test::run(io, launch({kv_plugin(), {}}, cfg), 20s);
        REQUIRE_MESSAGE(owner.has_value(), owner.error().message);
        auto json = R"({"example":{"Protocol":"grpc","ProtocolVersion":1,"Pid":)" +
                    std::to_string((*owner)->pid()) +
                    R"(,"Test":true,"Addr":{"Network":"unix","String":")" +
                    (*owner)->handshake().address + R"("}}})";
        auto entries = rpcplugin::wire::parse_reattach_json(json);
        REQUIRE(entries.has_value());
        auto rc = entries->at("example");
        auto reattached = rpcplugin::test::run(
            io, host::plugin_client::reattach(io.get_executor(), rc, cfg), 20s);
        REQUIRE_MESSAGE(reattached.has_value(), reattached.error().message);
        auto c = *reattached;
        CHECK_FALSE(c->owns_process());
        CHECK(c->pid() == (*owner)->pid());
        CHECK(rpcplugin::test::run(io, c->ping(), 10s).ok());
        auto sd = rpcplugin::test::run(io, c->shutdown(), 10s);
        CHECK_FALSE(sd.owned);
        CHECK_FALSE(sd.exit.has_value());
        c.reset();
        // The plugin still runs and serves its owner.
        CHECK(::kill(static_cast<pid_t>((*owner)->pid()), 0) == 0);
        CHECK(rpcplugin::test::run(io, (*owner)->ping(), 10s).ok());
        auto owned = rpcplugin::test::run(io, (*owner)->shutdown(), 20s);
        CHECK(owned.graceful);

        // A socket nobody listens on: connect_failed.
        rc.address = dir.file("nobody.sock");
        auto none = rpcplugin::test::run(
            io, host::plugin_client::reattach(io.get_executor(), rc, cfg), 20s);
        REQUIRE(none.has_error());
        CHECK(none.error().code == errc::connect_failed);
    }
}
