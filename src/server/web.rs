//! The web pages: home, counter, officer, citizen and verify, as static HTML, CSS and JavaScript
//! modules compiled into the binary from `web/`, so `kyso serve` needs no files beside it and
//! there is no build step. Every answer carries a strict Content-Security-Policy (scripts and
//! styles from this origin only, nothing inline), an ETag computed at compile time and
//! `Cache-Control: no-cache`, so browsers revalidate cheaply (304) and never run stale
//! scripts after an upgrade. What the pages do is the `/api/` routes' business.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;

/// Scripts, styles, images and fetches from this origin only; nothing inline, no plugins, no
/// form posts, no framing of these pages. Frames may show `blob:` URLs only: the PDFs the pages
/// fetched with the bearer token, since the token cannot ride in a URL.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; frame-src blob:; object-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One file of `web/`, with its type and a fingerprint of its bytes.
struct Asset {
    bytes: &'static [u8],
    content_type: &'static str,
    etag: u64,
}

impl Asset {
    const fn new(bytes: &'static [u8], content_type: &'static str) -> Asset {
        Asset {
            bytes,
            content_type,
            etag: fingerprint(bytes),
        }
    }
}

/// FNV-1a (64-bit): enough to tell versions of a file apart for caching, computed at compile
/// time. Not a security property: the bytes come from this binary.
const fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($file:literal, $type:expr) => {
        Asset::new(
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $file)),
            $type,
        )
    };
}

/// The pages, by path.
static PAGES: [(&str, Asset); 5] = [
    ("/", asset!("index.html", HTML)),
    ("/counter", asset!("counter.html", HTML)),
    ("/officer", asset!("officer.html", HTML)),
    ("/citizen", asset!("citizen.html", HTML)),
    ("/verify", asset!("verify.html", HTML)),
];

/// What the pages load, under `/static/`.
static STATIC: [(&str, Asset); 10] = [
    ("app.css", asset!("app.css", CSS)),
    ("app.js", asset!("app.js", JS)),
    ("i18n.js", asset!("i18n.js", JS)),
    ("counter.js", asset!("counter.js", JS)),
    ("officer.js", asset!("officer.js", JS)),
    ("citizen.js", asset!("citizen.js", JS)),
    ("verify.js", asset!("verify.js", JS)),
    ("report.js", asset!("report.js", JS)),
    ("home.js", asset!("home.js", JS)),
    ("icon.svg", asset!("icon.svg", SVG)),
];

pub fn router() -> Router<AppState> {
    let mut router = Router::new().route("/static/{file}", get(static_file));
    for (path, asset) in &PAGES {
        router = router.route(path, get(move |headers: HeaderMap| page(asset, headers)));
    }
    router.route("/favicon.ico", get(favicon))
}

async fn page(asset: &'static Asset, headers: HeaderMap) -> Response {
    respond(asset, &headers)
}

async fn static_file(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match STATIC.iter().find(|(name, _)| *name == file) {
        Some((_, asset)) => respond(asset, &headers),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found\n",
        )
            .into_response(),
    }
}

/// Browsers ask for `/favicon.ico` on their own; the icon is an SVG.
async fn favicon() -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, "/static/icon.svg")],
    )
        .into_response()
}

/// The asset, or 304 when the browser already holds this version.
fn respond(asset: &Asset, headers: &HeaderMap) -> Response {
    let etag = format!("\"{:016x}\"", asset.etag);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.bytes,
        )
            .into_response()
    };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    out.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_loads_only_scripts_and_styles_that_are_served() {
        for (path, asset) in &PAGES {
            let html = std::str::from_utf8(asset.bytes).unwrap();
            for attribute in ["src=\"/static/", "href=\"/static/"] {
                for (at, _) in html.match_indices(attribute) {
                    let rest = &html[at + attribute.len()..];
                    let name = &rest[..rest.find('"').unwrap()];
                    assert!(
                        STATIC.iter().any(|(file, _)| *file == name),
                        "{path} refers to /static/{name}, which is not served"
                    );
                }
            }
            // The policy forbids inline scripts, styles and event handlers: none may be there.
            assert!(!html.contains("<script>"), "{path} has an inline script");
            assert!(!html.contains("<style"), "{path} has an inline style");
            assert!(!html.contains(" style=\""), "{path} has a style attribute");
            assert!(!html.contains(" onclick="), "{path} has an inline handler");
        }
    }

    #[test]
    fn every_module_import_is_served() {
        for (name, asset) in STATIC.iter().filter(|(name, _)| name.ends_with(".js")) {
            let js = std::str::from_utf8(asset.bytes).unwrap();
            for (at, _) in js.match_indices("from './") {
                let rest = &js[at + "from './".len()..];
                let imported = &rest[..rest.find('\'').unwrap()];
                assert!(
                    STATIC.iter().any(|(file, _)| *file == imported),
                    "{name} imports ./{imported}, which is not served"
                );
            }
        }
    }

    /// Every `data-i18n="key"` and `data-i18n-attr="attribute:key"` of the pages has its two
    /// texts in i18n.js (a missing one would show the bare key).
    #[test]
    fn every_text_of_the_pages_is_in_the_dictionary() {
        let dictionary = STATIC
            .iter()
            .find(|(name, _)| *name == "i18n.js")
            .unwrap()
            .1
            .bytes;
        let dictionary = std::str::from_utf8(dictionary).unwrap();
        for (path, asset) in &PAGES {
            let html = std::str::from_utf8(asset.bytes).unwrap();
            let mut keys: Vec<&str> = Vec::new();
            for (at, _) in html.match_indices("data-i18n=\"") {
                let rest = &html[at + "data-i18n=\"".len()..];
                keys.push(&rest[..rest.find('"').unwrap()]);
            }
            for (at, _) in html.match_indices("data-i18n-attr=\"") {
                let rest = &html[at + "data-i18n-attr=\"".len()..];
                for pair in rest[..rest.find('"').unwrap()].split(';') {
                    keys.push(pair.split_once(':').unwrap().1.trim());
                }
            }
            assert!(!keys.is_empty(), "{path} has no translatable text");
            for key in keys {
                let entry = format!("'{key}': ['");
                let at = dictionary
                    .find(&entry)
                    .unwrap_or_else(|| panic!("{path}: no text for {key} in i18n.js"));
                let line = dictionary[at..].lines().next().unwrap();
                assert!(
                    (line.contains("', '") || line.contains("', \"")) && !line.contains("''"),
                    "{path}: {key} lacks its Vietnamese or English text"
                );
            }
        }
    }

    #[test]
    fn fingerprints_tell_versions_apart() {
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
        assert_eq!(fingerprint(b""), 0xcbf2_9ce4_8422_2325);
    }
}
