// Runs a fuzz harness over stored inputs without libFuzzer: every file named on the
// command line, and every file under each directory named (sorted). Built with the
// ordinary compiler so the corpus and the regression inputs run in every test build
// (and under ASan/UBSan in the sanitizer builds). A failed invariant aborts.
#include "fuzz/support/harness.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i)
    {
        fs::path p = argv[i];
        if (fs::is_directory(p))
        {
            for (const auto& e : fs::recursive_directory_iterator(p))
                if (e.is_regular_file())
                    files.push_back(e.path());
        }
        else if (fs::is_regular_file(p))
            files.push_back(p);
        else
        {
            std::fprintf(stderr, "no such input: %s\n", argv[i]);
            return 2;
        }
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
    {
        std::fprintf(stderr, "no inputs\n");
        return 2;
    }
    for (const auto& f : files)
    {
        std::ifstream in(f, std::ios::binary);
        std::vector<char> buf((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(buf.data()), buf.size());
    }
    std::printf("%zu inputs replayed\n", files.size());
    return 0;
}
