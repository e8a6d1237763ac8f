//! The crate as another crate sees it: only the public API, as the CLI and device will use it.

use icaze_qr::{decode_image, encode, QrError, QrInfo};

/// What a front end does with an error: show the message, branch on the stable code.
fn describe(error: &QrError) -> (&'static str, String) {
    // `QrError` is non-exhaustive, so outside crates must keep a catch-all arm.
    let retry = match error {
        QrError::NotFound | QrError::Undecodable { .. } => "retake the photo",
        QrError::ImageUnreadable { .. } | QrError::ImageTooLarge { .. } => "send another file",
        _ => "give up",
    };
    (error.code(), format!("{retry}: {error}"))
}

#[test]
fn every_rendering_of_one_symbol_agrees() {
    let content = "IZ1-Bak\u{131}-G\u{259}nc\u{259}-0042";
    let symbol = encode(content).unwrap();
    let info: QrInfo = symbol.info();
    assert_eq!(info.ec_level, 'M');
    assert_eq!(info.modules, 17 + 4 * u32::from(info.version));

    let side = info.modules + 8;
    let terminal = symbol.to_terminal();
    assert_eq!(terminal.lines().count() as u32, side.div_ceil(2));
    assert!(terminal.lines().all(|line| line.chars().count() as u32 == side));

    assert!(symbol.to_svg().contains("<svg"));

    for module_px in [2, 4, 10] {
        let png = symbol.to_png(module_px).unwrap();
        assert_eq!(decode_image(&png).unwrap(), vec![content.to_string()]);
    }
}

#[test]
fn errors_carry_codes_for_the_user_interface() {
    let (code, message) = describe(&decode_image(b"not an image").unwrap_err());
    assert_eq!(code, "image_unreadable");
    assert!(message.starts_with("send another file: the image could not be read"));

    let (code, _) = describe(&encode(&"z".repeat(4000)).unwrap_err());
    assert_eq!(code, "too_long");
}
