//! How the window's web view is set up for a console that runs for months, often rendered in
//! software (a virtual machine, a remote desktop, a PC without a GPU driver). Linux (WebKitGTK) only;
//! elsewhere the platform's defaults stay.

use std::path::{Path, PathBuf};

/// The console's web-process extension (`src-tauri/web-extension`), as cargo names it.
const WEB_EXTENSION: &str = "libvigil_web_extension.so";

/// Makes the console's window from `tauri.conf.json` (`create: false` there, so that it is made
/// here): on Linux its web process loads the console's web extension, which hands the process's
/// freed heap back to the system. Without the extension the window opens all the same, and says so.
pub fn open_main(app: &tauri::App) -> tauri::Result<tauri::WebviewWindow> {
    let config = app.config().app.windows.iter().find(|w| w.label == "main").cloned().unwrap_or_default();
    let mut builder = tauri::WebviewWindowBuilder::from_config(app, &config)?;
    if cfg!(target_os = "linux") {
        match std::env::current_exe().ok().as_deref().and_then(Path::parent).and_then(web_extensions_dir) {
            Some(dir) => builder = builder.extensions_path(dir),
            None => eprintln!(
                "vigil-desktop: {WEB_EXTENSION} was not found beside the program or in ../lib/vigil/web-extensions; \
                 the window's web process keeps its freed memory"
            ),
        }
    }
    builder.build()
}

/// Where the web extension is: installed (`/usr/lib/vigil/web-extensions` beside `/usr/bin`), or
/// beside the program as cargo builds it (`target/<profile>`, where it is the only shared object).
fn web_extensions_dir(program_dir: &Path) -> Option<PathBuf> {
    [program_dir.join("../lib/vigil/web-extensions"), program_dir.to_owned()]
        .into_iter()
        .find(|dir| dir.join(WEB_EXTENSION).is_file())
}

/// Whether the workstation asked for WebKit's own choice of GPU compositing
/// (`VIGIL_WEBVIEW_ACCELERATION=1`; a workstation with a real GPU may prefer it).
fn acceleration_requested() -> bool {
    std::env::var("VIGIL_WEBVIEW_ACCELERATION").is_ok_and(|v| v == "1")
}

/// Sets what WebKit reads from the environment, before GTK or WebKit start (and before any other
/// thread). With compositing off (see [`tune`]) nothing in the window is drawn with GL, yet
/// WebKit's DMA-BUF renderer still opens a GBM device and an EGL display in the window's process
/// and its web process: about 9 MB of the window's PSS on a software-rendered machine, for
/// nothing. A value the workstation set itself is kept.
pub fn prepare_environment() {
    if cfg!(target_os = "linux")
        && !acceleration_requested()
        && std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none()
    {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
}

/// Tunes the web view once, when the window is made.
pub fn tune(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    if let Err(error) = window.with_webview(|webview| linux::tune(&webview.inner())) {
        eprintln!("vigil-desktop: the web view could not be tuned: {error}");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

#[cfg(target_os = "linux")]
mod linux {
    use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};

    pub fn tune(view: &webkit2gtk::WebView) {
        if let Some(context) = view.context() {
            // One page that never navigates: no cache of pages or resources kept for a "back" that
            // never comes. Replaced camera snapshots and plans of floors left are released instead
            // of piling up in WebKit's memory cache (the window is the only page it ever shows).
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(view) {
            settings.set_enable_page_cache(false);
            // Nothing in the console uses WebGL or Web Audio (the siren plays in Rust).
            settings.set_enable_webgl(false);
            settings.set_enable_webaudio(false);
            // The window is a few panels and two canvases. Composited layers, on a machine without a
            // GPU, are composited by a software GL on the CPU at every repaint; painting straight
            // costs less, and the same on every machine. `VIGIL_WEBVIEW_ACCELERATION=1` gives
            // WebKit its own choice back.
            if super::acceleration_requested() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::OnDemand);
            } else {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        }
    }
}
