//! Serves plan images to the map as `vigil-plan://localhost/<floor or site id>`, with their media
//! type, so Leaflet loads them like any image and the bytes never pass through JSON.

use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager, UriSchemeContext, UriSchemeResponder, Wry};
use uuid::Uuid;

use crate::state::AppState;

pub const SCHEME: &str = "vigil-plan";

pub fn serve(ctx: UriSchemeContext<'_, Wry>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = ctx.app_handle().clone();
    let path = request.uri().path().trim_start_matches('/').to_owned();
    // Off the UI thread: a large plan should not stall the window.
    std::thread::spawn(move || {
        let state = app.state::<AppState>();
        let response = match (Uuid::parse_str(&path), state.workstation()) {
            (Ok(owner), Ok(ws)) => match ws.plan_image(owner) {
                Ok(image) => Response::builder()
                    .header(header::CONTENT_TYPE, image.mime)
                    .header(header::CACHE_CONTROL, "no-cache")
                    .body(image.bytes),
                Err(error) => text(StatusCode::NOT_FOUND, &error.message),
            },
            (Err(_), _) => text(StatusCode::BAD_REQUEST, "a plan is asked for by its floor or site id"),
            (_, Err(error)) => text(StatusCode::SERVICE_UNAVAILABLE, &error.message),
        };
        match response {
            Ok(response) => responder.respond(response),
            Err(error) => eprintln!("vigil-desktop: could not answer a plan request: {error}"),
        }
    });
}

fn text(status: StatusCode, message: &str) -> Result<Response<Vec<u8>>, tauri::http::Error> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(message.as_bytes().to_vec())
}
