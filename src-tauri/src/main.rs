//! Vigil's desktop console: the Tauri shell. It opens the workstation, serves plan images and
//! forwards each command to the core crates; nothing here decides anything about a hospital.

// Release builds on Windows should not open a console window next to the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod attention;
mod cmd;
mod plans;
mod state;
mod webview;

/// The console runs for months. Every PIN check (Argon2, 19 MiB) ran on a thread of the blocking
/// pool, and glibc kept each such thread's freed 19 MiB as that thread's own arena: the window grew
/// by that much with each lock and unlock on a new thread. jemalloc gives freed memory back to the
/// system within seconds.
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    webview::prepare_environment();
    tauri::Builder::default()
        .setup(|app| {
            let state = state::AppState::start(app.handle());
            if let Some(error) = &state.startup_error {
                eprintln!("vigil-desktop: {}", error.message);
            }
            tauri::Manager::manage(app, state);
            let window = webview::open_main(app)?;
            webview::tune(&window);
            Ok(())
        })
        .register_asynchronous_uri_scheme_protocol(plans::SCHEME, plans::serve)
        .invoke_handler(tauri::generate_handler![
            cmd::app::startup,
            cmd::app::engine_status,
            cmd::app::sync_status,
            cmd::app::set_language,
            cmd::app::create_demo,
            cmd::settings::settings_view,
            cmd::settings::sync_enrollment,
            cmd::settings::enroll_workstation,
            cmd::settings::publish_campus,
            cmd::map::overview,
            cmd::map::floor_devices,
            cmd::map::device_detail,
            cmd::map::search_devices,
            cmd::map::import_floor_plan,
            cmd::map::move_devices,
            cmd::session::login,
            cmd::session::logout,
            cmd::session::lock,
            cmd::session::unlock,
            cmd::session::session,
            cmd::session::console_accounts,
            cmd::session::set_console_account,
            cmd::incidents::incidents,
            cmd::incidents::incident_detail,
            cmd::incidents::act_on_incident,
            cmd::incidents::shelve_point,
            cmd::incidents::guards,
            cmd::incidents::silence_siren,
            cmd::incidents::siren_status,
            cmd::incidents::attention_log,
            cmd::incidents::set_procedure,
            cmd::incidents::camera_candidates,
            cmd::incidents::link_cameras,
            cmd::patrol::patrol_board,
            cmd::patrol::patrol_routes,
            cmd::patrol::patrol_marks,
            cmd::patrol::save_route,
            cmd::patrol::radio_check_in,
            cmd::patrol::annotate_check_in,
            cmd::patrol::patrol_log,
            cmd::patrol::recent_shifts,
            cmd::patrol::shift_review,
            cmd::patrol::patrol_summary,
            cmd::patrol::explain_exception,
            cmd::patrol::sign_off_shift,
            cmd::patrol::import_wand,
            cmd::patrol::wand_mappings,
            cmd::patrol::save_wand_mapping,
            cmd::patrol::export_shift,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|error| {
            eprintln!("vigil-desktop: the window could not start: {error}");
            std::process::exit(1);
        });
}
