//! `homectl completions SHELL` and `homectl man`: generated from the clap
//! definitions in src/cli/args.rs, so they always match the real command line.

use std::path::Path;

use clap::CommandFactory;

use super::args::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result};
use crate::settings::GlobalSettings;

/// The completion script for a shell, on stdout. It asks homectl itself
/// for candidates (clap_complete's dynamic completion), so commands, flags
/// and the inventory's names all complete (docs/getting-started.md).
pub fn completions(global: &GlobalSettings, args: &CompletionsArgs) -> Result<i32> {
    use clap_complete::env::EnvCompleter;
    use clap_complete::Shell;
    let shell: &dyn EnvCompleter = match args.shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
        Shell::Elvish => &clap_complete::env::Elvish,
        Shell::PowerShell => &clap_complete::env::Powershell,
        other => return Err(Error::usage(format!("no completion for {other}"))),
    };
    // The script calls this very binary back, by its full path.
    let completer = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "homectl".to_string());
    let mut out = Vec::new();
    shell
        .write_registration(
            super::name_completion::COMPLETE_VAR,
            "homectl",
            "homectl",
            &completer,
            &mut out,
        )
        .map_err(|e| Error::runtime(format!("cannot write the completion script: {e}")))?;
    global.printer().out_raw(&String::from_utf8_lossy(&out));
    Ok(0)
}

/// The man page homectl(1) on stdout, or with `--dir`, homectl(1) and a
/// page for each command (homectl-deploy(1), ...) written into a folder.
/// Each page ends with EXIT STATUS and ENVIRONMENT sections.
pub fn man(global: &GlobalSettings, args: &ManArgs) -> Result<i32> {
    let command = Cli::command();
    match &args.dir {
        None => {
            let out = page(command)
                .map_err(|e| Error::runtime(format!("cannot render the man page: {e}")))?;
            global.printer().out_raw(&String::from_utf8_lossy(&out));
        }
        Some(dir) => {
            write_pages(command, dir).map_err(|e| {
                Error::runtime(format!(
                    "man: cannot write the pages into {}: {e}",
                    dir.display()
                ))
            })?;
            global
                .printer()
                .info(&format!("man pages written to {}", dir.display()));
        }
    }
    Ok(0)
}

/// The sections clap does not know of, in roff (docs/operations.md, "Exit codes").
const EXTRA_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
Something failed at run time: a node, the registry, the secret provider. What was touched is reported.
.TP
\fB2\fR
The command line, the inventory or a stack is invalid; nothing was touched.
.TP
\fB130\fR
Interrupted (Ctrl-C): no new step was started, the steps in flight finished, the locks were released.
.PP
With \fB--json\fR, a failure ends stdout with one JSON object on one line: {"error": {"exit_code", "message", "file", "line", "column", "key", "help", "nodes"}}.
.SH ENVIRONMENT
.TP
\fBHOMECTL_INVENTORY\fR
The inventory file when \fB-i\fR is not given (else inventory/homelab.toml).
.TP
\fBHOMECTL_LOG\fR
Log filter for debugging (tracing's env-filter syntax), e.g. HOMECTL_LOG=debug.
.TP
\fBNO_COLOR\fR
Set to turn colour off.
.TP
\fBCOMPLETE\fR
Set by the completion scripts of \fBhomectl completions\fR when the shell asks for candidates.
.TP
\fBOP_SERVICE_ACCOUNT_TOKEN\fR, \fBOP_SESSION_*\fR
Read by 1Password's op CLI for op:// references; env:// references read the variable they name.
"#;

fn page(command: clap::Command) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out)?;
    out.extend_from_slice(EXTRA_SECTIONS.as_bytes());
    Ok(out)
}

/// homectl.1 and one page per command, as clap_mangen names them.
fn write_pages(command: clap::Command, dir: &Path) -> std::io::Result<()> {
    fn write(command: clap::Command, dir: &Path) -> std::io::Result<()> {
        for sub in command
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .cloned()
        {
            write(sub, dir)?;
        }
        let name = clap_mangen::Man::new(command.clone()).get_filename();
        std::fs::write(dir.join(name), page(command)?)
    }
    std::fs::create_dir_all(dir)?;
    let mut command = command.disable_help_subcommand(true);
    command.build();
    write(command, dir)
}
