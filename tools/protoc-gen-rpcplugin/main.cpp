/**
 * @file
 * protoc-gen-rpcplugin: run by protoc as `--plugin=protoc-gen-rpcplugin=PATH
 * --rpcplugin_out=[OPTIONS:]DIR`. See generator.hpp.
 */

#include "generator.hpp"

#include <google/protobuf/compiler/plugin.h>

int main(int argc, char* argv[])
{
    rpcplugin::protoc_gen::generator generator;
    return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
