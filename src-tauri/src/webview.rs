//! How the window's web view is set up for a console that runs for months, often rendered in
//! software (a virtual machine, a remote desktop, a PC without a GPU driver). Linux (WebKitGTK) only;
//! elsewhere the platform's defaults stay.

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
            // WebKit its own choice back (a workstation with a real GPU may prefer it).
            if std::env::var("VIGIL_WEBVIEW_ACCELERATION").is_ok_and(|v| v == "1") {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::OnDemand);
            } else {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        }
    }
}
