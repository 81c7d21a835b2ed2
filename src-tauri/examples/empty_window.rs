//! An empty Tauri window: the same runtime, webview and window size as the console, showing a blank
//! page. The console benchmark (`vigil-console-bench`) measures it beside the console, as the floor
//! under every CPU and memory figure: what any Tauri window costs on this machine before Vigil
//! draws anything.

/// The whole page: nothing but the console's background colour.
const PAGE: &[u8] = b"<!doctype html><html><head><meta charset=\"utf-8\"><title>empty</title></head>\
<body style=\"margin:0;background:#0b1220\"></body></html>";

fn main() {
    let mut context = tauri::generate_context!();
    // Not the console's own window (it would load the console): one blank window instead.
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        .register_uri_scheme_protocol("blank", |_, _| {
            tauri::http::Response::builder().header("Content-Type", "text/html").body(PAGE.to_vec()).unwrap_or_default()
        })
        .setup(|app| {
            let url = tauri::WebviewUrl::CustomProtocol("blank://localhost/".parse()?);
            tauri::WebviewWindowBuilder::new(app, "empty", url)
                .title("empty Tauri window")
                .inner_size(1440.0, 900.0)
                .build()?;
            Ok(())
        })
        .run(context)
        .unwrap_or_else(|error| {
            eprintln!("empty_window: {error}");
            std::process::exit(1);
        });
}
