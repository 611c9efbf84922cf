#pragma once

// The command table: each group of larderctl's subcommands registers itself on the CLI11 app.
// A command's callback runs it and hands its outcome to Context::Finish.

#include <CLI/CLI.hpp>

#include "ctl/context.h"

namespace larder::ctl {

// status, projects, list, get, describe
void AddReadCommands(CLI::App& app, Context& ctx);
// history, changes, watch, diff
void AddHistoryCommands(CLI::App& app, Context& ctx);
// apply, rollback
void AddWriteCommands(CLI::App& app, Context& ctx);
// import, export
void AddFileRegistryCommands(CLI::App& app, Context& ctx);
// materialize plan|jobs|job|cancel
void AddMaterializeCommands(CLI::App& app, Context& ctx);
// completion
void AddCompletionCommand(CLI::App& app, Context& ctx);

}  // namespace larder::ctl
