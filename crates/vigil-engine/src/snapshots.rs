//! Test snapshots for the demo's cameras: `vigil sim --snapshots ADDR` (and the demo workstation) serve a JPEG for every
//! camera code at `/snapshot/<code>.jpg`, as an NVR or go2rtc gateway would. Each picture is the
//! camera's own (a scene drawn from its code) with the time on a seven-segment clock, so a refreshed
//! snapshot visibly moves on.

use std::io::Cursor;
use std::net::SocketAddr;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use image::{ImageFormat, Rgb, RgbImage};
use time::OffsetDateTime;

const WIDTH: u32 = 480;
const HEIGHT: u32 = 270;

static LOCAL_OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();

/// Reads the machine's UTC offset for the clock in the pictures; call before any thread starts (the
/// time crate refuses to read it from a multi-threaded process on Linux). Without it the clock is UTC.
pub fn remember_local_offset() {
    let _ = LOCAL_OFFSET.set(time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC));
}

fn local_offset() -> time::UtcOffset {
    LOCAL_OFFSET.get().copied().unwrap_or(time::UtcOffset::UTC)
}

/// Serves snapshots on `addr` until the process ends; returns the bound address once listening.
pub async fn serve(addr: &str) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), crate::EngineError> {
    let listen_error = |source| crate::EngineError::Listen { addr: format!("snapshots {addr}"), source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    let app = Router::new().route("/snapshot/{name}", get(snapshot));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((bound, task))
}

async fn snapshot(Path(name): Path<String>) -> Response {
    let Some(code) = name.strip_suffix(".jpg").filter(|c| !c.is_empty() && c.len() <= 64) else {
        return (StatusCode::NOT_FOUND, "snapshots are /snapshot/<camera code>.jpg").into_response();
    };
    let now = OffsetDateTime::now_utc().to_offset(local_offset());
    match tokio::task::spawn_blocking({
        let code = code.to_owned();
        move || picture(&code, now)
    })
    .await
    {
        Ok(Ok(jpeg)) => ([(header::CONTENT_TYPE, "image/jpeg")], jpeg).into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "the snapshot could not be drawn").into_response(),
    }
}

/// A stable small number from the code, so each camera has its own scene.
fn seed_of(code: &str) -> u32 {
    code.bytes().fold(2_166_136_261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16_777_619))
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, colour: Rgb<u8>) {
    for yy in y..(y + h).min(HEIGHT) {
        for xx in x..(x + w).min(WIDTH) {
            img.put_pixel(xx, yy, colour);
        }
    }
}

/// Segments a–g of each digit, as bits 0–6.
const DIGITS: [u8; 10] = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F];

fn digit(img: &mut RgbImage, x: u32, y: u32, d: usize, colour: Rgb<u8>) {
    let (w, h, t) = (14, 24, 3);
    let bits = DIGITS[d % 10];
    let segments = [
        (x + t, y, w - 2 * t, t),             // a
        (x + w - t, y + t, t, h / 2 - t),     // b
        (x + w - t, y + h / 2, t, h / 2 - t), // c
        (x + t, y + h - t, w - 2 * t, t),     // d
        (x, y + h / 2, t, h / 2 - t),         // e
        (x, y + t, t, h / 2 - t),             // f
        (x + t, y + h / 2 - 1, w - 2 * t, t), // g
    ];
    for (i, (sx, sy, sw, sh)) in segments.into_iter().enumerate() {
        if bits & (1 << i) != 0 {
            fill(img, sx, sy, sw, sh, colour);
        }
    }
}

/// Draws the camera's scene — floor, walls, a door and a moving figure — and the clock.
fn picture(code: &str, now: OffsetDateTime) -> Result<Vec<u8>, image::ImageError> {
    let seed = seed_of(code);
    let tone = |shift: u32, base: u8| base.saturating_add(((seed >> shift) & 0x3F) as u8);
    let mut img = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([tone(0, 40), tone(6, 44), tone(12, 52)]));
    // Floor and a back wall in perspective bands.
    for y in 150..HEIGHT {
        let shade = (40 + (y - 150) / 3) as u8;
        fill(&mut img, 0, y, WIDTH, 1, Rgb([shade, shade.saturating_add(4), shade.saturating_add(8)]));
    }
    let door_x = 60 + seed % 300;
    fill(&mut img, door_x, 70, 60, 80, Rgb([tone(18, 90), tone(20, 70), 50]));
    // Someone walks across the scene: position from the clock.
    let second = u32::from(now.second());
    let walker = (second * WIDTH / 60 + seed % 97) % (WIDTH - 20);
    fill(&mut img, walker, 110, 16, 60, Rgb([200, 190, 170]));
    fill(&mut img, walker + 3, 96, 10, 12, Rgb([230, 205, 180]));
    // The time, bottom right, like a camera's overlay.
    let text =
        [now.hour() / 10, now.hour() % 10, now.minute() / 10, now.minute() % 10, now.second() / 10, now.second() % 10];
    fill(&mut img, WIDTH - 150, HEIGHT - 40, 146, 34, Rgb([0, 0, 0]));
    for (i, d) in text.iter().enumerate() {
        let x = WIDTH - 144 + (i as u32) * 22 + (i as u32 / 2) * 6;
        digit(&mut img, x, HEIGHT - 35, usize::from(*d), Rgb([255, 255, 255]));
    }
    // A red recording dot, top left.
    fill(&mut img, 10, 10, 10, 10, Rgb([230, 30, 40]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_camera_gets_its_own_decodable_picture_that_moves_with_time() {
        let t0 = OffsetDateTime::UNIX_EPOCH + time::Duration::hours(10);
        let a = picture("OPD-1F-CAM-001", t0).expect("draw");
        let b = picture("OPD-1F-CAM-002", t0).expect("draw");
        let later = picture("OPD-1F-CAM-001", t0 + time::Duration::seconds(7)).expect("draw");
        assert_ne!(a, b);
        assert_ne!(a, later);
        let decoded = image::load_from_memory_with_format(&a, ImageFormat::Jpeg).expect("a JPEG");
        assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
    }
}
