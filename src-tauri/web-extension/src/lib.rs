//! The console's WebKit web-process extension (Linux).
//!
//! The window's web process allocates through glibc's `malloc` for everything outside the
//! JavaScript heap: parsed responses of the console's commands, decoded floor plans and camera
//! pictures, style and layout data. glibc gives freed memory back only from the top of its heap, so
//! what opening the campus and its floors allocated for a moment stays with the process for as long
//! as something small lives above it. Measured on the reference hospital, the web process's main
//! heap held 77 MB with 22 MB in use; `malloc_trim(0)` returned 56 MB of it (ARCHITECTURE.md,
//! "The window's budget").
//!
//! WebKitGTK loads this library into the web process when the window is made
//! (`vigil-desktop` points the web view's extensions directory at it) and calls
//! [`webkit_web_extension_initialize`]. From then on, every [`TRIM_EVERY_SECONDS`] the process's
//! free heap pages are handed back to the system, on the web process's own main loop. Nothing else
//! of the page is touched: the extension neither reads nor changes what the window shows.

/// How often the web process's free heap is handed back. A trim walks glibc's arenas and costs a
/// few milliseconds; a busy shift fragments the heap over minutes, not seconds.
pub const TRIM_EVERY_SECONDS: u32 = 30;

/// Called by WebKitGTK once, in the web process, as it loads the extension (the name and the C
/// signature are WebKit's: `void webkit_web_extension_initialize (WebKitWebExtension *)`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn webkit_web_extension_initialize(_extension: *mut std::ffi::c_void) {
    glib::timeout_add_seconds(TRIM_EVERY_SECONDS, || {
        trim();
        glib::ControlFlow::Continue
    });
}

/// Hands the free pages of every glibc arena back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() {
    // SAFETY: malloc_trim takes no pointer and may be called from any thread at any time; glibc
    // locks each arena while it releases its free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}
