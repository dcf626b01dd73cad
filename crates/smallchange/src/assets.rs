//! The wallet's stylesheet, script and icon, embedded in the binary and served under names that
//! carry a hash of their content (`wallet.3f2a9c1e.css`), so browsers may keep them for a
//! year and still get a new one the moment it changes. The wallet serves them
//! (`/wallet/assets/`, see `web/wallet`), and the API's receipt page links the script; so
//! they sit below both doors.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Each asset: its plain name, its content type and its bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("wallet.css", "text/css; charset=utf-8", include_bytes!("../assets/wallet/wallet.css")),
    ("wallet.js", "text/javascript; charset=utf-8", include_bytes!("../assets/wallet/wallet.js")),
    ("console.css", "text/css; charset=utf-8", include_bytes!("../assets/console/console.css")),
    ("icon.svg", ICON_TYPE, ICON),
];

/// The wallet's icon, for the browser's tab and bookmarks.
const ICON: &[u8] = include_bytes!("../assets/wallet/icon.svg");
const ICON_TYPE: &str = "image/svg+xml";

struct Hashed {
    name: &'static str,
    hashed_name: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

fn hashed() -> &'static [Hashed] {
    static HASHED: OnceLock<Vec<Hashed>> = OnceLock::new();
    HASHED.get_or_init(|| {
        ASSETS
            .iter()
            .map(|(name, content_type, bytes)| {
                let digest = hex::encode(&Sha256::digest(bytes)[..5]);
                let (stem, extension) = name.rsplit_once('.').expect("assets have an extension");
                Hashed { name, hashed_name: format!("{stem}.{digest}.{extension}"), content_type, bytes }
            })
            .collect()
    })
}

/// The path a page links asset `name` by.
pub fn path(name: &str) -> Result<String, String> {
    hashed()
        .iter()
        .find(|a| a.name == name)
        .map(|a| format!("/wallet/assets/{}", a.hashed_name))
        .ok_or_else(|| format!("no asset {name}"))
}

/// `GET /wallet/assets/{name}`: the asset under its hashed name, cached for a year.
pub async fn serve(Path(name): Path<String>) -> Response {
    match hashed().iter().find(|a| a.hashed_name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /favicon.ico`, which browsers ask for whatever a page links: the wallet's icon (an
/// SVG, which they take by its content type), cached for a day.
pub async fn favicon() -> Response {
    ([(header::CONTENT_TYPE, ICON_TYPE), (header::CACHE_CONTROL, "public, max-age=86400")], ICON).into_response()
}
