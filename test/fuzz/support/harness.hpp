#pragma once

/**
 * @file
 * The libFuzzer entry point every harness defines (one per executable). libFuzzer's
 * runtime calls it with each input; replay_main.cpp calls it with stored inputs.
 */

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
