//! QR codes drawn on the server as SVG (the `qrcode` crate), for an authenticator app to
//! scan: nothing is fetched from elsewhere and no script draws them. Given as a `data:` URI
//! for an `<img>`, which carries the alt text a screen reader needs.

use base64::Engine;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// `text` as a QR code: an `image/svg+xml` data URI, at least `size` pixels square.
pub fn svg_data_uri(text: &str, size: u32) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(size, size)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    Ok(format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(image)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_becomes_an_svg_image() {
        let uri = "otpauth://totp/Demo:%2B821012345678?secret=JBSWY3DPEHPK3PXP&issuer=Demo";
        let data = svg_data_uri(uri, 200).unwrap();
        let encoded = data.strip_prefix("data:image/svg+xml;base64,").unwrap();
        let svg = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap();
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
        let width: u32 = svg.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
        assert!(width >= 200, "{width}");
        // Another text, another picture.
        assert_ne!(data, svg_data_uri("otpauth://totp/Other", 200).unwrap());
    }
}
