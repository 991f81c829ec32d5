#pragma once

/**
 * @file
 * protoc-gen-rpcplugin: for each .proto, writes `<file>.rpcplugin.pb.h` and `.cc` beside
 * protoc's `<file>.pb.h`: per-method traits, a coroutine service base with
 * `register_service`, and a client stub, for every service of the file.
 */

#include <google/protobuf/compiler/code_generator.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::protoc_gen
{
/**
 * The plugin options (`--rpcplugin_out=OPTS:DIR` or `--rpcplugin_opt=OPTS`), a
 * comma-separated list of `key=value`.
 */
struct options
{
    /** `server=true|false`: generate `Service` and `register_service`. */
    bool server = true;
    /** `client=true|false`: generate `Stub`. */
    bool client = true;
};

/**
 * Parses `parameter` strictly: an unknown key, a repeated key, a missing or malformed value
 * is an error. Returns the options, or nullopt with `error` set to a message naming the
 * offending option.
 */
std::optional<options> parse_options(std::string_view parameter, std::string& error);

/** The generator that `main` hands to `PluginMain`. */
class generator final : public google::protobuf::compiler::CodeGenerator
{
public:
    /** Generates for one file (protoc calls `GenerateAll` instead). */
    bool Generate(const google::protobuf::FileDescriptor* file, const std::string& parameter,
                  google::protobuf::compiler::GeneratorContext* context,
                  std::string* error) const override;

    /** Parses the options once, then generates for each file. */
    bool GenerateAll(const std::vector<const google::protobuf::FileDescriptor*>& files,
                     const std::string& parameter,
                     google::protobuf::compiler::GeneratorContext* context,
                     std::string* error) const override;

    /** Proto3 `optional` fields only concern message code; services are unaffected. */
    std::uint64_t GetSupportedFeatures() const override { return FEATURE_PROTO3_OPTIONAL; }
};
} // namespace rpcplugin::protoc_gen
