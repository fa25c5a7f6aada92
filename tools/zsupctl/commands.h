// The subcommands, one file each. Every Add* registers its CLI11 subcommand
// on `app` and returns it with what runs once the command line parsed.
// Runners print results to stdout, problems to stderr, and return an ExitCode.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/zsupctl/cli.h"

namespace zsup::ctl {

Command AddPing(CLI::App& app);     // ping.cc
Command AddKeygen(CLI::App& app);   // keygen.cc
Command AddStatus(CLI::App& app);   // status.cc
Command AddShow(CLI::App& app);     // show.cc (+ show_format.cc)
Command AddCreate(CLI::App& app);   // create.cc (+ create_file.cc)
Command AddDestroy(CLI::App& app);  // destroy_restart.cc
Command AddRestart(CLI::App& app);  // destroy_restart.cc
Command AddStop(CLI::App& app);     // destroy_restart.cc
Command AddStart(CLI::App& app);    // destroy_restart.cc
Command AddReopen(CLI::App& app);   // destroy_restart.cc
Command AddApply(CLI::App& app);    // apply.cc
Command AddTail(CLI::App& app);     // tail.cc
Command AddEvents(CLI::App& app);   // events.cc
Command AddCluster(CLI::App& app);  // cluster.cc (+ cluster/)

}  // namespace zsup::ctl
