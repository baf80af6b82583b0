//! `tenantsim completions SHELL` and `tenantsim man`: shell completions and man pages
//! generated from the clap definitions, so they always match the flags of this binary.
//!
//! Completions go to stdout (redirect them where your shell looks). `man` prints `tenantsim(1)`
//! to stdout, or with `--dir DIR` writes `tenantsim.1` and one `tenantsim-SUBCOMMAND.1` per
//! subcommand there (e.g. `~/.local/share/man/man1`, then `man tenantsim-check`).

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::exit;
use clap::CommandFactory;

/// Writes the completion script for the shell to stdout.
pub fn completions(a: CompletionsArgs) -> i32 {
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "tenantsim", &mut std::io::stdout());
    exit::OK
}

/// Renders one man page.
fn render(cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    Ok(out)
}

/// Prints `tenantsim(1)`, or writes every page into `--dir`.
pub fn man(a: ManArgs) -> i32 {
    let mut cmd = Cli::command();
    cmd.build();
    let Some(dir) = a.dir else {
        return match render(&cmd).and_then(|page| {
            use std::io::Write as _;
            std::io::stdout().write_all(&page)
        }) {
            Ok(()) => exit::OK,
            Err(e) => {
                eprintln!("tenantsim: error: cannot write the man page: {e}");
                exit::INVALID_INPUT
            }
        };
    };
    let mut pages = vec![("tenantsim.1".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        // A subcommand page is named and titled `tenantsim-NAME`, as git and cargo do.
        // (clap wants a 'static name; leaking a few bytes once in a one-shot command is fine.)
        let name: &'static str =
            Box::leak(format!("tenantsim-{}", sub.get_name()).into_boxed_str());
        pages.push((format!("{name}.1"), sub.clone().name(name)));
    }
    for (file, page) in pages {
        let path = dir.join(&file);
        let written = render(&page).and_then(|bytes| {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&path, bytes)
        });
        if let Err(e) = written {
            eprintln!("tenantsim: error: cannot write {}: {e}", path.display());
            return exit::INVALID_INPUT;
        }
        println!("wrote {}", path.display());
    }
    exit::OK
}
