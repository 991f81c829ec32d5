#pragma once

/**
 * @file
 * What the `main` of every test and benchmark program needs: a file read whole and the
 * command-line flags walked one by one. Standard library only, so the programs built on
 * gRPC C++'s own runtime use it as well as ours (`tls_files.hpp` adds rpcplugin's TLS
 * settings from PEM files).
 */

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rpcplugin::test
{
/** The whole content of `path`; throws std::runtime_error("cannot read PATH"). */
inline std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/**
 * Walks argv flag by flag:
 *
 *     for (test::program_args args(argc, argv); args.next();)
 *         if (args.is("--listen")) listen = args.value();
 *         else if (args.is("--tls")) tls = true;
 *         else return usage();
 *
 * `value()` consumes the argument after the flag and throws std::invalid_argument("FLAG
 * needs a value") at the end of argv, so a program reports a missing value by catching
 * that (bad numbers from std::stoi and the like throw the same type).
 */
class program_args
{
public:
    /** Walks argv[first] .. argv[argc - 1]. */
    program_args(int argc, char** argv, int first = 1)
        : argc_(argc)
        , argv_(argv)
        , i_(first - 1)
    {
    }

    /** Advances to the next argument; false past the last. */
    bool next() noexcept { return ++i_ < argc_; }

    /** The current argument. */
    std::string_view flag() const noexcept { return argv_[i_]; }

    /** Whether the current argument is `name`. */
    bool is(std::string_view name) const noexcept { return flag() == name; }

    /** The argument after the current flag, consumed. */
    std::string value()
    {
        if (i_ + 1 >= argc_)
            throw std::invalid_argument(std::string(flag()) + " needs a value");
        return argv_[++i_];
    }

    /** The index of the current argument in argv. */
    int index() const noexcept { return i_; }

private:
    int argc_;
    char** argv_;
    int i_;
};
} // namespace rpcplugin::test
