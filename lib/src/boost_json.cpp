// Boost.JSON is used header-only: this is the one translation unit of the library that
// compiles its implementation. Other sources include <boost/json.hpp> (or the parts they
// need) and must not include <boost/json/src.hpp> again.
#include <boost/json/src.hpp>
