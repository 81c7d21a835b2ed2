//! `vigil server`: the central server, and its administration (enrollment codes, revocation, the
//! list of workstations). Each subcommand is one call into `vigil-server`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ServerArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// Where the server keeps its database (created when missing) and its files.
    #[arg(long, value_name = "DIR", required = true)]
    data_dir: Option<PathBuf>,
    /// Keep the log in PostgreSQL instead (postgres://user:password@host:port/database);
    /// several server processes may share one.
    #[arg(long, value_name = "URL", env = "VIGIL_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// Address to serve /v1/ on; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8750")]
    listen: String,
    /// Print the address as one JSON line {"http"}.
    #[arg(long)]
    json: bool,
    /// Enrollment attempts taken per client address and minute (a room enrolling through one
    /// NAT address may need more).
    #[arg(long, value_name = "N", default_value_t = vigil_server::ENROLL_PER_MINUTE)]
    enroll_per_minute: u32,
    /// How the log on stderr reads: `text` for a person, `json` (one object per line) for a log
    /// collector. What is logged is set with VIGIL_LOG (default `info`; e.g. `warn`).
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Serve HTTPS with this certificate (PEM: the server's, then its chain); needs --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Remove finished history older than this many days from the log, every hour (as
    /// `vigil server prune` does). Without it, the log keeps everything.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    retain_days: Option<u32>,
}

#[derive(Subcommand)]
enum Action {
    /// Print a one-time code a new workstation enrolls with (vigil agent --enroll CODE).
    Enroll {
        #[command(flatten)]
        at: Database,
        /// The workstation's name, as the server lists it (e.g. "control-room-2").
        #[arg(long)]
        name: String,
        /// How long the code lasts.
        #[arg(long, default_value_t = vigil_server::DEFAULT_CODE_MINUTES)]
        minutes: u32,
        /// The server's TLS certificate (as given to `vigil server --cert`): the code then carries
        /// its fingerprint, and the workstation trusts exactly that certificate.
        #[arg(long, value_name = "FILE")]
        cert: Option<PathBuf>,
        /// The code is for a guard's handheld: its token posts check-ins (POST /v1/checkins)
        /// and cannot push or pull the log.
        #[arg(long)]
        handheld: bool,
    },
    /// Refuse a workstation's token from now on.
    Revoke {
        #[command(flatten)]
        at: Database,
        #[arg(long)]
        name: String,
    },
    /// A consistent copy of a SQLite server database while it runs (its online backup).
    /// Restore: stop the server and put the copy in place as DIR/vigil.db; the workstations push
    /// again what the copy lacks. (PostgreSQL: pg_dump, see the README.)
    Backup {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// A new file for the copy.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Check the server's copy of every workstation's log: every chain walked, every head the
    /// server witnessed found in it. Exit 1 naming the first thing altered or missing.
    Verify {
        #[command(flatten)]
        at: Database,
        #[arg(long)]
        json: bool,
    },
    /// The hospital's console accounts, kept here and handed to every workstation: an operator
    /// logs in at any of them, also while it is offline. A PIN is read from standard input (one
    /// line), never from the command line.
    Accounts {
        #[command(flatten)]
        at: Database,
        #[command(subcommand)]
        change: AccountAction,
    },
    /// Remove from the log the finished history older than N days: incidents closed (with their
    /// whole timeline) and versions of accounts, sites, floors, guard lists and procedures
    /// replaced. Each removed event's chain entry is kept, so `verify` still walks every chain.
    /// Patrol records, shelves, routes and schedules are kept. `serve --retain-days` runs the
    /// same every hour.
    Prune {
        #[command(flatten)]
        at: Database,
        /// Keep everything newer than this many days.
        #[arg(long, value_name = "DAYS")]
        older_than_days: u32,
        /// Count what would go; remove nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// The enrolled workstations: last contact, clock offset, events held.
    Workstations {
        #[command(flatten)]
        at: Database,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AccountAction {
    /// Every account: name, full name, role, and whether it is disabled.
    List {
        #[arg(long)]
        json: bool,
    },
    /// A new account; its PIN (4 to 12 digits) is read from standard input.
    Add {
        name: String,
        #[arg(long)]
        full_name: String,
        #[arg(long, value_parser = ROLES)]
        role: String,
    },
    /// Change an account's full name or role.
    Set {
        name: String,
        #[arg(long)]
        full_name: Option<String>,
        #[arg(long, value_parser = ROLES)]
        role: Option<String>,
    },
    /// A new PIN for the account, read from standard input.
    ResetPin {
        name: String,
    },
    /// The account can no longer log in anywhere; open sessions end at their next action.
    Disable {
        name: String,
    },
    Enable {
        name: String,
    },
}

const ROLES: [&str; 3] = ["operator", "supervisor", "administrator"];

fn role_of(text: &str) -> vigil_domain::incident::Role {
    vigil_domain::incident::Role::parse(text).unwrap_or(vigil_domain::incident::Role::Operator)
}

/// A PIN from standard input (prompted for on a terminal), checked and hashed.
fn read_pin(name: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    if std::io::stdin().is_terminal() {
        eprint!("new PIN for {name} (4 to 12 digits): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pin = line.trim_end_matches(['\r', '\n']);
    vigil_domain::account::check_pin(pin)?;
    Ok(vigil_domain::account::hash_pin(pin, rand::random()))
}

/// Who is acting on the server, for the event: the operating-system user running the command.
fn server_admin() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    format!("server:{user}")
}

fn accounts(at: &vigil_server::Location, change: AccountAction) -> anyhow::Result<()> {
    use vigil_domain::account::AccountEdit;
    let (name, edit) = match change {
        AccountAction::List { json } => {
            let list = block_on(vigil_server::accounts(at))??;
            if json {
                let rows: Vec<serde_json::Value> = list
                    .iter()
                    .map(|a| serde_json::json!({ "name": a.name, "full_name": a.full_name, "role": a.role, "disabled": a.disabled }))
                    .collect();
                println!("{}", serde_json::Value::from(rows));
            } else {
                for a in list {
                    let state = if a.disabled { "  disabled" } else { "" };
                    println!("{}  {}  {}{state}", a.name, a.full_name, a.role.as_str());
                }
            }
            return Ok(());
        }
        AccountAction::Add { name, full_name, role } => {
            let pin_hash = Some(read_pin(&name)?);
            (name, AccountEdit { full_name: Some(full_name), role: Some(role_of(&role)), pin_hash, disabled: None })
        }
        AccountAction::Set { name, full_name, role } => {
            (name, AccountEdit { full_name, role: role.as_deref().map(role_of), ..AccountEdit::default() })
        }
        AccountAction::ResetPin { name } => {
            let pin_hash = Some(read_pin(&name)?);
            (name, AccountEdit { pin_hash, ..AccountEdit::default() })
        }
        AccountAction::Disable { name } => (name, AccountEdit { disabled: Some(true), ..AccountEdit::default() }),
        AccountAction::Enable { name } => (name, AccountEdit { disabled: Some(false), ..AccountEdit::default() }),
    };
    let account = block_on(vigil_server::set_account(at, &server_admin(), &name, edit))??;
    let state = if account.disabled { ", disabled" } else { "" };
    println!(
        "{}: {} ({}{state}); every workstation has it at its next sync",
        account.name,
        account.full_name,
        account.role.as_str()
    );
    Ok(())
}

/// The server's database, as every subcommand names it.
#[derive(Args)]
struct Database {
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// The server's PostgreSQL database, when it keeps its log there.
    #[arg(long, value_name = "URL", env = "VIGIL_DATABASE", hide_env_values = true)]
    database: Option<String>,
}

impl Database {
    fn location(&self) -> anyhow::Result<vigil_server::Location> {
        Ok(vigil_server::Location::new(&self.data_dir, self.database.as_deref())?)
    }
}

/// The server's log on stderr: a line per request and per notable thing, as text or JSON.
fn init_log(format: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new("info"))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let set = if format == "json" {
        builder.json().with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
    set.map_err(|e| anyhow::anyhow!("the log cannot be set up: {e}"))
}

fn block_on<T>(work: impl std::future::Future<Output = T>) -> anyhow::Result<T> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(work))
}

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    match args.action {
        Some(Action::Enroll { at, name, minutes, cert, handheld }) => {
            // The fingerprint first: a wrong --cert must not use up a code.
            let fingerprint = cert.as_deref().map(vigil_server::certificate_fingerprint).transpose()?;
            let kind =
                if handheld { vigil_server::ClientKind::Handheld } else { vigil_server::ClientKind::Workstation };
            let code = block_on(vigil_server::enroll_client(&at.location()?, &name, minutes, kind))??;
            let code = vigil_sync::tls::EnrollmentCode { code, fingerprint }.shown();
            println!("{code}");
            if handheld {
                eprintln!("enrollment code for the handheld {name:?}, valid {minutes} min, once: the handheld trades it at POST /v1/sync/enroll");
            } else {
                eprintln!("enrollment code for {name:?}, valid {minutes} min, once: vigil agent --data-dir DIR --server URL --enroll {code}");
            }
        }
        Some(Action::Revoke { at, name }) => {
            block_on(vigil_server::revoke(&at.location()?, &name))??;
            println!("revoked {name:?}: its token is refused from now on");
        }
        Some(Action::Backup { data_dir, out }) => {
            let events = vigil_server::backup(&data_dir, &out)?;
            println!("backed up {} to {} ({events} events)", data_dir.display(), out.display());
        }
        Some(Action::Verify { at, json }) => {
            let (chain, witness) = block_on(vigil_server::verify(&at.location()?))??;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "events": crate::events_json(&chain),
                        "witness": { "checked": witness.checked, "not_held": witness.not_held,
                                     "first_mismatch": witness.first_mismatch.as_ref().map(|(h, why)| serde_json::json!({ "origin": h.origin, "seq": h.seq, "seen_at": h.seen_at, "why": why })) },
                    })
                );
            } else {
                match &chain.first_altered {
                    None if chain.pruned > 0 => println!(
                        "event log: {} events from {} workstation(s) ({} removed by retention, their links checked), hash chains intact",
                        chain.events, chain.origins, chain.pruned
                    ),
                    None => println!(
                        "event log: {} events from {} workstation(s), hash chains intact",
                        chain.events, chain.origins
                    ),
                    Some((seq, id, why)) => println!("event log: ALTERED at position {seq} (event {id}): {why}"),
                }
                match &witness.first_mismatch {
                    None if witness.not_held == 0 => {
                        println!("witness: {} heads the workstations showed, all found as seen", witness.checked)
                    }
                    None => {
                        println!("witness: {} heads the workstations showed are missing from the log", witness.not_held)
                    }
                    Some((h, why)) => {
                        println!("witness: workstation {}'s event {} (seen {}): {why}", h.origin, h.seq, h.seen_at)
                    }
                }
            }
            if chain.first_altered.is_some() || witness.first_mismatch.is_some() || witness.not_held > 0 {
                std::process::exit(1);
            }
        }
        Some(Action::Accounts { at, change }) => accounts(&at.location()?, change)?,
        Some(Action::Prune { at, older_than_days, dry_run, json }) => {
            let retention = vigil_server::Retention { days: older_than_days };
            let counts =
                block_on(vigil_server::prune(&at.location()?, &at.data_dir, retention, dry_run, &server_admin()))??;
            if json {
                println!("{}", serde_json::json!({ "dry_run": dry_run, "days": older_than_days, "removed": counts }));
            } else {
                let verb = if dry_run { "would remove" } else { "removed" };
                println!(
                    "retention ({older_than_days} days) {verb} {} events: {} closed incidents, {} replaced versions",
                    counts.events, counts.incidents, counts.versions
                );
            }
        }
        Some(Action::Workstations { at, json }) => {
            let list = block_on(vigil_server::workstations(&at.location()?))??;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for w in list {
                    let state = if w.revoked_at.is_some() { "revoked" } else { "enrolled" };
                    let state = format!("{} {state}", w.kind.as_str());
                    let offset =
                        w.clock_offset.map_or(String::new(), |o| format!(", clock {:+.1} s", o as f64 / 1000.0));
                    println!("{}  {}  {state}, {} events{offset}", w.name, w.origin, w.events);
                }
            }
        }
        None => {
            let dir = args.data_dir.ok_or_else(|| anyhow::anyhow!("--data-dir is required"))?;
            let at = vigil_server::Location::new(&dir, args.database.as_deref())?;
            let tls = match (args.cert, args.key) {
                (Some(cert), Some(key)) => Some(vigil_server::Tls { cert, key }),
                _ => None,
            };
            let options = vigil_server::ServeOptions {
                enroll_per_minute: args.enroll_per_minute,
                tls,
                fold_dir: Some(dir.clone()),
                retain: args.retain_days.map(|days| vigil_server::Retention { days }),
            };
            init_log(&args.log_format)?;
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(serve(at, args.listen, options, args.json))?;
        }
    }
    Ok(())
}

async fn serve(
    at: vigil_server::Location,
    listen: String,
    options: vigil_server::ServeOptions,
    json: bool,
) -> anyhow::Result<()> {
    let running = vigil_server::serve_with(&at, &listen, &options).await?;
    let scheme = if options.tls.is_some() { "https" } else { "http" };
    if json {
        println!("{}", serde_json::json!({ "http": running.addr.to_string(), "scheme": scheme }));
    } else {
        let fingerprint = match &options.tls {
            Some(tls) => format!(" (certificate SHA-256 {})", vigil_server::certificate_fingerprint(&tls.cert)?),
            None => " (plain HTTP: use --cert and --key outside a test network)".to_owned(),
        };
        println!("vigil server on {}: {scheme}://{}{fingerprint}", at.describe(), running.addr);
    }
    crate::until_stopped().await?;
    running.stop().await;
    Ok(())
}
