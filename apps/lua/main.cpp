// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// metatopia-lua: runs a script in exactly the sandboxed fixed-point Lua the sim uses, so script
// authors can try code offline. Without a file: an interactive prompt.
//   metatopia-lua [--hash] [--mem-limit N] [--instr-limit N] [--seed N] [script.lua]

#include "script/ScriptVm.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

class ConsoleHost final : public metatopia::ScriptHost
{
public:
    std::vector<metatopia::ScriptValue> call(std::string_view function,
                                             std::span<const metatopia::ScriptValue> args) override
    {
        if (function == "print" && args.size() == 1) {
            const auto &line = std::get<std::string>(args[0]);
            std::fwrite(line.data(), 1, line.size(), stdout);
            std::fputc('\n', stdout);
            return {};
        }
        throw metatopia::ScriptError{"no host function '" + std::string(function)
                                     + "' in metatopia-lua"};
    }
};

int usage()
{
    std::fprintf(stderr, "usage: metatopia-lua [--hash] [--mem-limit BYTES] [--instr-limit N] "
                         "[--seed N] [script.lua]\n");
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    metatopia::ScriptLimits limits;
    bool hash = false;
    std::uint64_t seed = 0;
    const char *file = nullptr;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--hash") {
            hash = true;
        } else if ((arg == "--mem-limit" || arg == "--instr-limit" || arg == "--seed")
                   && i + 1 < argc) {
            char *end = nullptr;
            const unsigned long long v = std::strtoull(argv[++i], &end, 10);
            if (end == nullptr || *end != '\0')
                return usage();
            if (arg == "--mem-limit")
                limits.memoryBytes = v;
            else if (arg == "--instr-limit")
                limits.instructionsPerCall = static_cast<std::int64_t>(v);
            else
                seed = v;
        } else if (!arg.empty() && arg[0] == '-') {
            return usage();
        } else if (file == nullptr) {
            file = argv[i];
        } else {
            return usage();
        }
    }

    metatopia::ScriptVm vm(limits, seed);
    ConsoleHost host;
    int status = 0;
    if (file != nullptr) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "metatopia-lua: cannot open %s\n", file);
            return 1;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        std::string name = file;
        if (const auto slash = name.find_last_of('/'); slash != std::string::npos)
            name = name.substr(slash + 1);
        if (auto error = vm.load(ss.str(), name, host)) {
            std::fflush(stdout);
            std::fprintf(stderr, "metatopia-lua: %s\n", error->c_str());
            status = 1;
        }
    } else {
        std::string line;
        std::fputs("Metatopia Lua 5.4 (fixed point, sandboxed)\n> ", stdout);
        std::fflush(stdout);
        while (std::getline(std::cin, line)) {
            // Like lua.c: try the line as an expression first.
            std::optional<std::string> error = vm.load("print(" + line + ")", "stdin", host);
            if (error && error->find("stdin:") == 0 && vm.suspendReason() == *error
                && error->find("syntax") == std::string::npos
                && error->find("near") == std::string::npos) {
                // A runtime error of the expression itself: report it.
            } else if (error) {
                vm.resume();
                error = vm.load(line, "stdin", host);
            }
            if (error) {
                std::printf("%s\n", error->c_str());
                vm.resume();
            }
            std::fputs("> ", stdout);
            std::fflush(stdout);
        }
        std::fputc('\n', stdout);
    }
    std::fflush(stdout);
    if (hash)
        std::printf("%016llx\n", static_cast<unsigned long long>(vm.stateHash()));
    return status;
}
