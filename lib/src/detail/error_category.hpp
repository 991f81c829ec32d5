#pragma once

// The one error_category class of the library: every category is a name and a function
// from the error value to its message, defined as a function-local static.

#include <boost/system/error_category.hpp>

#include <cstddef>
#include <string>

namespace rpcplugin::detail
{
// error_category's destructor is protected and non-virtual by design; categories are
// function-local statics, never deleted through a base pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class named_category final : public boost::system::error_category
{
public:
    using describe_fn = const char* (*)(int) noexcept;

    named_category(const char* name, describe_fn describe) noexcept
        : name_(name)
        , describe_(describe)
    {
    }

    const char* name() const noexcept override { return name_; }
    std::string message(int ev) const override { return describe_(ev); }
    const char* message(int ev, char*, std::size_t) const noexcept override
    {
        return describe_(ev);
    }

private:
    const char* name_;
    describe_fn describe_;
};
#pragma GCC diagnostic pop
} // namespace rpcplugin::detail
