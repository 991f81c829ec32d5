#pragma once

/**
 * @file
 * A private temporary directory for tests that create socket files; removed with its
 * contents on destruction.
 */

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include <stdlib.h>

namespace rpcplugin::test
{
/** A fresh directory under $TMPDIR (or /tmp), removed recursively on destruction. */
class temp_dir
{
public:
    temp_dir()
    {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "rpcplugin-test-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed for " + tmpl);
        path_ = tmpl;
    }

    ~temp_dir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    /** The directory. */
    const std::filesystem::path& path() const noexcept { return path_; }

    /** `name` inside the directory, as a string. */
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};
} // namespace rpcplugin::test
