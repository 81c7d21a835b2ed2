//! `vigil server`: the central server, and its administration (enrollment codes, revocation, the
//! list of workstations). Each subcommand is one call into `vigil-server`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ServerArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// Where the server keeps its database (created when missing).
    #[arg(long, value_name = "DIR", required = true)]
    data_dir: Option<PathBuf>,
    /// Address to serve /v1/ on; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8750")]
    listen: String,
    /// Print the address as one JSON line {"http"}.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum Action {
    /// Print a one-time code a new workstation enrolls with (vigil agent --enroll CODE).
    Enroll {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// The workstation's name, as the server lists it (e.g. "control-room-2").
        #[arg(long)]
        name: String,
        /// How long the code lasts.
        #[arg(long, default_value_t = vigil_server::DEFAULT_CODE_MINUTES)]
        minutes: u32,
    },
    /// Refuse a workstation's token from now on.
    Revoke {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// A consistent copy of the server's database while it runs (SQLite's online backup).
    /// Restore: stop the server and put the copy in place as DIR/vigil.db; the workstations push
    /// again what the copy lacks.
    Backup {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// A new file for the copy.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// The enrolled workstations: last contact, clock offset, events held.
    Workstations {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    match args.action {
        Some(Action::Enroll { data_dir, name, minutes }) => {
            let code = vigil_server::enroll(&data_dir, &name, minutes)?;
            println!("{code}");
            eprintln!("enrollment code for {name:?}, valid {minutes} min, once: vigil agent --data-dir DIR --server URL --enroll {code}");
        }
        Some(Action::Revoke { data_dir, name }) => {
            vigil_server::revoke(&data_dir, &name)?;
            println!("revoked {name:?}: its token is refused from now on");
        }
        Some(Action::Backup { data_dir, out }) => {
            let events = vigil_server::backup(&data_dir, &out)?;
            println!("backed up {} to {} ({events} events)", data_dir.display(), out.display());
        }
        Some(Action::Workstations { data_dir, json }) => {
            let list = vigil_server::workstations(&data_dir)?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for w in list {
                    let state = if w.revoked_at.is_some() { "revoked" } else { "enrolled" };
                    let offset =
                        w.clock_offset.map_or(String::new(), |o| format!(", clock {:+.1} s", o as f64 / 1000.0));
                    println!("{}  {}  {state}, {} events{offset}", w.name, w.origin, w.events);
                }
            }
        }
        None => {
            let dir = args.data_dir.ok_or_else(|| anyhow::anyhow!("--data-dir is required"))?;
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(serve(dir, args.listen, args.json))?;
        }
    }
    Ok(())
}

async fn serve(dir: PathBuf, listen: String, json: bool) -> anyhow::Result<()> {
    let running = vigil_server::serve(&dir, &listen).await?;
    if json {
        println!("{}", serde_json::json!({ "http": running.addr.to_string() }));
    } else {
        println!("vigil server on {}: HTTP {}", dir.display(), running.addr);
    }
    crate::until_stopped().await?;
    running.stop().await;
    Ok(())
}
