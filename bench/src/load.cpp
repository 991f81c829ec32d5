#include "load.hpp"

namespace bench
{
const char* to_string(workload w) noexcept
{
    switch (w)
    {
    case workload::unary: return "unary";
    case workload::server_stream: return "server-stream";
    case workload::bidi: return "bidi";
    case workload::raw_pingpong: return "raw-pingpong";
    case workload::raw_bulk: return "raw-bulk";
    }
    return "?";
}

std::optional<workload> parse_workload(const std::string& s) noexcept
{
    for (auto w : {workload::unary, workload::server_stream, workload::bidi, workload::raw_pingpong,
                   workload::raw_bulk})
        if (s == to_string(w))
            return w;
    return std::nullopt;
}

load_result run_load(const load_config& cfg)
{
    if (cfg.load == workload::raw_pingpong || cfg.load == workload::raw_bulk)
        return run_raw_load(cfg);
    return run_grpc_load(cfg);
}
} // namespace bench
